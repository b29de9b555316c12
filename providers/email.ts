/** E-mail over SMTP with nodemailer. `Message-ID` is derived from the delivery id, so a resend is recognisable downstream. */
import nodemailer from 'nodemailer';

export interface EmailRequest {
  to: string;
  subject: string;
  /** At least one of text and html. */
  text?: string;
  html?: string;
  reference: string;
  /** Commercial mail: the recipient's unsubscribe link, sent as `List-Unsubscribe` with one-click (RFC 8058). */
  unsubscribeUrl?: string;
}

export interface EmailProvider {
  send(req: EmailRequest): Promise<{ providerMessageId: string }>;
  close(): void;
}

export function createSmtpEmailProvider(smtpUrl: string, from: string): EmailProvider {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(req) {
      const info = await transport.sendMail({
        from,
        to: req.to,
        subject: req.subject,
        ...(req.text !== undefined ? { text: req.text } : {}),
        ...(req.html !== undefined ? { html: req.html } : {}),
        messageId: `<${req.reference}@rota>`,
        ...(req.unsubscribeUrl ? { headers: { 'List-Unsubscribe': `<${req.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } } : {}),
      });
      return { providerMessageId: info.messageId };
    },
    close() {
      transport.close();
    },
  };
}
