/**
 * The operator console at /console: the page built from console/ (npm run build:console) as
 * static files. Its policy lets the page reach nothing but this server: no CDN, no font host.
 * The console's routes are in the URL's fragment, so only index.html and its assets are served.
 */
import express, { Router } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from './errors';

export const CONSOLE_DIST = path.join(__dirname, '..', 'console', 'dist');

const POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export function consoleRouter(dist = CONSOLE_DIST): Router {
  const router = Router();
  router.use('/console', (req, res, next) => {
    // /console without its slash: the page's address is /console/, where its fragment routes begin.
    if (req.originalUrl.split('?')[0] === '/console') return res.redirect(301, '/console/');
    res.setHeader('content-security-policy', POLICY);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    // Checked per request: a build made while the API runs is served without a restart.
    if (!existsSync(path.join(dist, 'index.html'))) {
      return next(new ApiError(503, 'console_not_built', 'the console is not built: run npm run build:console (npm run dev and npm test build it)'));
    }
    next();
  });
  // Hashed assets never change; index.html is asked again each time, so a new build is picked up at once.
  router.use('/console', express.static(dist, {
    index: 'index.html', redirect: true,
    setHeaders: (res, file) => res.setHeader('cache-control', file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable'),
  }));
  return router;
}
