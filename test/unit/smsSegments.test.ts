/** The SMS encoding and segment counter: GSM-7 with escapes, the Turkish single shift table, UCS-2, and every boundary. */
import { countSmsSegments } from '../../templates/smsSegments';

const a = (n: number) => 'a'.repeat(n);

describe('GSM-7 (default alphabet)', () => {
  test('plain text is one septet a character', () => {
    const c = countSmsSegments('Merhaba Ayse, kodun 1234.');
    expect(c).toMatchObject({ encoding: 'GSM-7', shiftTable: 'default', unit: 'septet', length: 25, characters: 25, segments: 1, perSegment: 160, remaining: 135, escaped: [], notGsm: [] });
    expect(c.reason).toMatch(/GSM 7-bit default alphabet/);
  });

  test.each([
    [160, 1, 160, 0],
    [161, 2, 153, 145],
    [306, 2, 153, 0],
    [307, 3, 153, 152],
    [459, 3, 153, 0],
    [460, 4, 153, 152],
  ])('%i septets: %i segment(s) of %i, %i left', (n, segments, perSegment, remaining) => {
    expect(countSmsSegments(a(n))).toMatchObject({ encoding: 'GSM-7', length: n, segments, perSegment, remaining });
  });

  test.each(['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\f'])('%j is an escape: two septets', (ch) => {
    const c = countSmsSegments(ch);
    expect(c).toMatchObject({ encoding: 'GSM-7', shiftTable: 'default', length: 2, characters: 1, escaped: [ch] });
  });

  test('the whole extension table: 10 characters, 20 septets', () => {
    expect(countSmsSegments('^{}\\[~]|€\f')).toMatchObject({ encoding: 'GSM-7', length: 20, characters: 10, segments: 1 });
  });

  test('escapes at the single-segment boundary: 80 euro signs fit, one more septet does not', () => {
    expect(countSmsSegments('€'.repeat(80))).toMatchObject({ length: 160, segments: 1, remaining: 0 });
    expect(countSmsSegments(`${'€'.repeat(80)}a`)).toMatchObject({ length: 161, segments: 2 });
    expect(countSmsSegments(`${a(159)}€`)).toMatchObject({ length: 161, segments: 2 });
  });

  test('an escape pair never straddles two parts: it moves whole to the next one', () => {
    // 152 + 2 + 152 = 306 septets would fit two parts of 153 if the pair could be split; it cannot.
    const text = `${a(152)}€${a(152)}`;
    expect(countSmsSegments(text)).toMatchObject({ length: 306, segments: 3, perSegment: 153, remaining: 152 });
    // The same length with the escape inside the first part takes two.
    expect(countSmsSegments(`€${a(304)}`)).toMatchObject({ length: 306, segments: 2, remaining: 0 });
  });

  test('the default alphabet has Ç Ö Ü ö ü but not ç: Turkish text without ş ğ ı İ Ş Ğ ç stays plain GSM-7', () => {
    expect(countSmsSegments('ÇÖÜöüÄäÑñé')).toMatchObject({ encoding: 'GSM-7', shiftTable: 'default', length: 10, escaped: [] });
  });

  test('line breaks are one septet each', () => {
    expect(countSmsSegments('a\r\nb\nc')).toMatchObject({ encoding: 'GSM-7', length: 6 });
  });

  test('empty text: no segment', () => {
    expect(countSmsSegments('')).toMatchObject({ encoding: 'GSM-7', length: 0, segments: 0 });
  });
});

describe('GSM-7 with the Turkish single shift table', () => {
  test.each([...'şğıİŞĞç'])('%s is a Turkish single shift escape: two septets', (ch) => {
    expect(countSmsSegments(ch)).toMatchObject({ encoding: 'GSM-7', shiftTable: 'turkish', length: 2, characters: 1, escaped: [ch], notGsm: [] });
  });

  test('a Turkish sentence: every special letter counts two, the rest one, and the answer says which table', () => {
    const text = 'Sayın Şule Yılmaz, siparişiniz yola çıktı. İyi günler!';
    // ı ×4, Ş, ş, ç, İ are escapes (8 × 2); ü is in the default alphabet.
    const c = countSmsSegments(text);
    expect(c).toMatchObject({ encoding: 'GSM-7', shiftTable: 'turkish', characters: text.length, length: text.length + 8, segments: 1, perSegment: 155 });
    expect(new Set(c.escaped)).toEqual(new Set(['ı', 'Ş', 'ş', 'ç', 'İ']));
    expect(c.reason).toMatch(/Turkish national language single shift table/);
    expect(c.ucs2Segments).toBe(1);
  });

  test.each([
    // one ş (2 septets) + n a's
    [153, 155, 1, 155, 0],
    [154, 156, 2, 149, 142],
    [296, 298, 2, 149, 0],
    [297, 299, 3, 149, 148],
  ])('ş + %i letters = %i septets: %i segment(s) of %i, %i left', (n, length, segments, perSegment, remaining) => {
    expect(countSmsSegments(`ş${a(n)}`)).toMatchObject({ shiftTable: 'turkish', length, segments, perSegment, remaining });
  });

  test('saves segments over UCS-2: 100 characters with one ğ are 1 segment, where UCS-2 needs 2', () => {
    expect(countSmsSegments(`ğ${a(99)}`)).toMatchObject({ shiftTable: 'turkish', segments: 1, ucs2Segments: 2 });
  });

  test('the extension characters come from the Turkish table too', () => {
    expect(countSmsSegments('ş{€}')).toMatchObject({ encoding: 'GSM-7', shiftTable: 'turkish', length: 8 });
  });

  test('a Turkish escape never straddles two parts', () => {
    expect(countSmsSegments(`${a(148)}ş${a(148)}`)).toMatchObject({ length: 298, segments: 3 });
    expect(countSmsSegments(`ş${a(296)}`)).toMatchObject({ length: 298, segments: 2 });
  });

  test('for a gateway without the table, the same text is UCS-2 and says why', () => {
    const c = countSmsSegments('Şule', { turkishShift: false });
    expect(c).toMatchObject({ encoding: 'UCS-2', shiftTable: null, length: 4, segments: 1, notGsm: ['Ş'] });
    expect(c.reason).toMatch(/turned off/);
  });
});

describe('UCS-2', () => {
  test('a character in no GSM table (â in kâr) makes the whole text UCS-2, counted in UTF-16 code units', () => {
    const c = countSmsSegments('Bu ay kârınız arttı');
    expect(c).toMatchObject({ encoding: 'UCS-2', shiftTable: null, unit: 'utf16_code_unit', length: 19, segments: 1, perSegment: 70, notGsm: ['â'] });
    expect(c.reason).toMatch(/"â" is in no GSM 7-bit table/);
  });

  test('an emoji is two code units', () => {
    expect(countSmsSegments('😀')).toMatchObject({ encoding: 'UCS-2', length: 2, characters: 1, segments: 1, notGsm: ['😀'] });
    expect(countSmsSegments('Sipariş yolda 🚚')).toMatchObject({ encoding: 'UCS-2', length: 16, characters: 15, notGsm: ['🚚'] });
  });

  test.each([
    [70, 1, 70, 0],
    [71, 2, 67, 63],
    [134, 2, 67, 0],
    [135, 3, 67, 66],
  ])('%i code units: %i segment(s) of %i, %i left', (n, segments, perSegment, remaining) => {
    const text = `✓${a(n - 1)}`;
    expect(countSmsSegments(text)).toMatchObject({ encoding: 'UCS-2', length: n, segments, perSegment, remaining });
  });

  test('35 emoji fill one segment exactly; 36 need two', () => {
    expect(countSmsSegments('😀'.repeat(35))).toMatchObject({ length: 70, segments: 1, remaining: 0 });
    expect(countSmsSegments('😀'.repeat(36))).toMatchObject({ length: 72, segments: 2 });
  });

  test('a surrogate pair never straddles two parts', () => {
    // 66 + 2 + 66 = 134 code units would fit two parts of 67 if the emoji could be split; it cannot.
    expect(countSmsSegments(`${a(66)}😀${a(66)}`)).toMatchObject({ length: 134, segments: 3 });
    expect(countSmsSegments(`😀${a(132)}`)).toMatchObject({ length: 134, segments: 2 });
  });
});
