/**
 * Turns offsets into line and column numbers. libpg-query reports UTF-8 *byte* offsets
 * (stmt_location, token start/end, error cursor) while JavaScript strings index UTF-16 code
 * units, so a migration with one `é` in a comment would shift every later line number if the two
 * were mixed. ASCII files (almost all migrations) take a fast path where both are the same.
 */
export class SourcePositionMap {
  readonly sql: string;
  private readonly lineStarts: number[];
  private readonly ascii: boolean;
  private byteToChar: Uint32Array | undefined;
  private bytes: Buffer | undefined;

  constructor(sql: string) {
    this.sql = sql;
    this.lineStarts = [0];
    for (let i = sql.indexOf('\n'); i !== -1; i = sql.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.ascii = Buffer.byteLength(sql, 'utf8') === sql.length;
  }

  /** Character offset for a UTF-8 byte offset (clamped to the text). */
  charOfByte(byteOffset: number): number {
    if (this.ascii) return Math.max(0, Math.min(byteOffset, this.sql.length));
    const map = this.byteMap();
    return map[Math.max(0, Math.min(byteOffset, map.length - 1))]!;
  }

  /** The text between two byte offsets; `end` undefined means to the end of the file. */
  sliceBytes(start: number, end?: number): string {
    if (this.ascii) return this.sql.slice(start, end);
    this.bytes ??= Buffer.from(this.sql, 'utf8');
    return this.bytes.subarray(start, end).toString('utf8');
  }

  /** 1-based line of a character offset. */
  lineOf(charOffset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= charOffset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** 1-based line and column (in characters) of a character offset. */
  positionOf(charOffset: number): { line: number; column: number } {
    const line = this.lineOf(charOffset);
    return { line, column: charOffset - this.lineStarts[line - 1]! + 1 };
  }

  private byteMap(): Uint32Array {
    if (this.byteToChar) return this.byteToChar;
    // One entry per byte (plus the end): the index of the character that byte belongs to.
    const map = new Uint32Array(Buffer.byteLength(this.sql, 'utf8') + 1);
    let byte = 0;
    let char = 0;
    for (const codePoint of this.sql) {
      const width = Buffer.byteLength(codePoint, 'utf8');
      for (let k = 0; k < width; k += 1) map[byte + k] = char;
      byte += width;
      char += codePoint.length;
    }
    map[byte] = char;
    this.byteToChar = map;
    return map;
  }
}
