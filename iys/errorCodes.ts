/**
 * The H-codes a consent integrator meets, with the HTTP status and message of the official
 * error table (shared/iys/error-codes.md). The simulator answers with them; the client
 * decides from them whether a retry can help.
 */

export interface IysCodeInfo {
  status: number;
  message: string;
}

export const IYS_CODES = {
  H014: { status: 400, message: 'Gönderilen istek JSON formatına uygun olmalıdır.' },
  H015: { status: 500, message: 'Beklenmedik bir hata oluştu!' },
  H084: { status: 429, message: 'Saatte kabul edilen kimlik doğrulama istek limitine ulaşıldı. Lütfen daha sonra tekrar deneyiniz.' },
  H085: { status: 400, message: 'İzin ekleme isteği geçerli olmalıdır.' },
  H086: { status: 429, message: 'Saatte kabul edilen izin sorgulama istek limitine ulaşıldı. Lütfen daha sonra tekrar deneyiniz.' },
  H091: { status: 422, message: 'İzin ekleme sayısı en fazla 1000  olmalıdır.' },
  H092: { status: 400, message: 'Çoklu izin ekleme isteği geçerli olmalıdır.' },
  H097: { status: 400, message: 'İzin sorgulama isteği geçerli olmalıdır.' },
  H101: { status: 500, message: 'Sunucuya esas veri kaydedilemedi.' },
  H103: { status: 500, message: 'Sunucuda arama yapılamadı.' },
  H110: { status: 422, message: 'Durum (status) bulunamadı.' },
  H111: { status: 422, message: 'İzin tipi (type) bulunamadı.' },
  H112: { status: 422, message: 'İzin tarihi (consentDate) bulunamadı.' },
  H113: { status: 422, message: 'İzin kaynağı (source) bulunamadı.' },
  H114: { status: 422, message: 'Alıcı (recipient) bulunamadı.' },
  H115: { status: 422, message: 'Durum (status) için uygun değerler: ONAY, RET' },
  H116: { status: 422, message: 'Alıcı tipi (recipientType) için uygun değerler: BIREYSEL, TACIR' },
  H117: { status: 422, message: 'İzin tipi (type) için uygun değerler: ARAMA, MESAJ, EPOSTA' },
  H118: { status: 422, message: 'kabul edilemedi. İstek gövdesinde bulunabilecek değerler: recipientType, retailerAccess, recipient, retailerCode, source, type, consentDate, status olmalıdır.' },
  H119: { status: 422, message: 'İzin kaynağı (source) için uygun değerler: HS_FIZIKSEL_ORTAM, HS_ISLAK_IMZA, HS_WEB, HS_CAGRI_MERKEZI, HS_SOSYAL_MEDYA, HS_EPOSTA, HS_MESAJ, HS_MOBIL, HS_EORTAM, HS_ETKINLIK, HS_2015, HS_ATM, HS_KARAR' },
  H120: { status: 422, message: 'Alıcı (recipient) kabul edilemedi. Geçerli bir eposta adresi giriniz.' },
  H121: { status: 422, message: 'Alıcı (recipient) için E164 uluslararası([+][country code][area code][local phone number]) formatına uygun bir telefon numarası girilmelidir. (örn. +905992000000)' },
  H123: { status: 400, message: 'Servis şu anda meşgul. Lütfen daha sonra tekrar deneyiniz.' },
  H124: { status: 429, message: 'Saniyede kabul edilen istek limitine ulaşıldı. Lütfen daha sonra tekrar deneyiniz.' },
  H126: { status: 422, message: 'İzin erişimi olan bayilerin (retailer) liste uzunluğu en fazla 3000 olmalıdır.' },
  H155: { status: 422, message: 'İzin kaynağı “1 Mayıs 2015 öncesi” olan izinler için, izin tarihi sadece 2015-05-01 00:00:00 olabilir.' },
  H156: { status: 422, message: 'İzinler için 1 Mayıs 2015’den önceki tarihler kabul edilmemektedir.' },
  H157: { status: 422, message: 'Geçerli bir tarih girilmelidir.' },
  H158: { status: 422, message: 'İzin tarihi yyyy-mm-dd hh:mm:ss formatında olmalıdır.' },
  H160: { status: 422, message: 'Alıcı için telefon numaraları 15 karakterden uzun olmamalıdır.' },
  H162: { status: 422, message: 'Mevcut tarih ve saatten ileri bir tarih ve saat girilmemelidir.' },
  H163: { status: 422, message: 'İzin erişimi olan bayilerin (retailer) listesi boş olmamalıdır.' },
  H164: { status: 422, message: 'Alıcı listesi (recipients) kabul edilemedi. Liste boş olmamalıdır.' },
  H166: { status: 422, message: 'Alıcı (recipient) kabul edilemedi. Telefon numaraları 15 karakterden uzun olamaz.' },
  H168: { status: 422, message: 'Alıcı listesi (recipients) bulunamadı.' },
  H170: { status: 422, message: 'Alıcı tipi (recipientType) bulunamadı.' },
  H174: { status: 400, message: 'İzin durumu (status) güncellemesi için farklı bir durum girilmelidir. İzin durumu: RET' },
  H175: { status: 400, message: 'İlk defa kaydedilen bir iznin durum (status) bilgisi RET olmamalıdır.' },
  H178: { status: 400, message: 'Sistemdeki iznin tarihinden önceki tarihli izinlerle güncelleme yapılamaz.' },
  H180: { status: 403, message: 'retailerCode kullanıcı üzerinde bulunamadı.' },
  H192: { status: 503, message: 'İstek zaman aşımına uğradı.' },
  H193: { status: 422, message: 'Alıcı (recipient) değeri liste içinde tekrarlanamaz.' },
  H194: { status: 422, message: 'İzin listede daha önce tanımlandı. Liste içinde izinler alıcı tipi (recipientType), tip (type) ve alıcı (recipient) değerleri için tekrarlanamaz.' },
  H198: { status: 422, message: 'requestId 36 karakterden daha uzun olamaz.' },
  H199: { status: 422, message: 'requestId sadece harflerden meydana gelemez.' },
  H267: { status: 400, message: 'retailerCode değeri boş string olmamalıdır!' },
  H351: { status: 401, message: 'Eksik veya geçersiz jeton!' },
  H353: { status: 403, message: 'iysCode, kullanıcı izinleriyle eşleştirilemiyor' },
  H400: { status: 422, message: 'requestId sadece sayılardan meydana gelemez.' },
  H408: { status: 422, message: 'HS_KARAR kaynağından iletilen izinler için durum bilgisi RET olmalıdır.' },
  H462: { status: 400, message: 'TACIR izinleri güncellenirken izin tarihi (consentDate) verilmelidir.' },
  H463: { status: 400, message: 'TACIR izinleri güncellenirken izin kaynağı (source) verilmelidir.' },
  H464: { status: 422, message: 'İzin tipi (type) için alıcı (recipient) uygun formatta olmalıdır.' },
  H467: { status: 422, message: 'Üç iş günü öncesinde alınan izinler kaydedilemez.' },
  H478: { status: 422, message: 'Alıcı listesi (recipients) liste olmalıdır.' },
  H506: { status: 422, message: 'İzin kaynağı (source) bulunamadı.' },
  H507: { status: 422, message: 'limit alanı için karakter üst sınırı 1000 olmalıdır.' },
  H525: { status: 422, message: 'Kullanılan izin sayısı maksimum sayıya ulaştığı için yeni izin eklenememektedir.' },
} as const satisfies Record<string, IysCodeInfo>;

export type IysCode = keyof typeof IYS_CODES;

/** State rejections: the consent is late, a duplicate or out of order. Final, and a sign the caller should have checked first. */
export const STATE_CODES: ReadonlySet<string> = new Set(['H174', 'H175', 'H178', 'H462', 'H463']);

/** Answers that can change on a later try: rate limits, a busy or failing server. */
export function isRetryableAnswer(status: number, code?: string): boolean {
  return status === 429 || status === 408 || status >= 500 || code === 'H123';
}
