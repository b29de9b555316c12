/** E-mail goes over real SMTP (nodemailer) to the run's SMTP sink, and arrives as sent, Turkish characters intact. */
import { createSmtpEmailProvider } from '../../providers/email';

const apiUrl = process.env.SMTP_API_URL;

(apiUrl ? test : test.skip)('an e-mail sent through the SMTP provider arrives at the sink', async () => {
  const provider = createSmtpEmailProvider(process.env.SMTP_URL!, 'Rota <no-reply@rota.local>');
  const reference = `mail-${Date.now()}`;
  const { providerMessageId } = await provider.send({ to: 'ayse@example.com', subject: 'Siparişiniz yola çıktı', text: 'Güle güle kullanın', reference });
  provider.close();
  expect(providerMessageId).toBe(`<${reference}@rota>`);
  const { messages } = (await (await fetch(`${apiUrl}/api/v1/messages`)).json()) as { messages: { to: string[]; raw: string }[] };
  const mail = messages.find((m) => m.raw.includes(reference));
  expect(mail?.to).toEqual(['ayse@example.com']);
  expect(mail?.raw).toMatch(/^Subject: /m);
});
