export default async function globalTeardown(): Promise<void> {
  await globalThis.__ROTA_STACK__?.stop();
}
