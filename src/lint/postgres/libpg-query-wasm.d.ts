// The Emscripten factory inside libpg-query (the package's own wrapper, wasm/index.cjs, sits on top of it).
declare module 'libpg-query/wasm/libpg-query.js' {
  export interface PgQueryWasm {
    HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    _wasm_parse_query_raw(ptr: number): number;
    _wasm_free_parse_result(ptr: number): void;
    _wasm_parse_plpgsql(ptr: number): number;
    _wasm_scan(ptr: number): number;
    _wasm_free_string(ptr: number): void;
    getValue(ptr: number, type: 'i32'): number;
    lengthBytesUTF8(text: string): number;
    stringToUTF8(text: string, ptr: number, maxBytes: number): number;
    UTF8ToString(ptr: number): string;
  }
  const factory: (moduleArg?: object) => Promise<PgQueryWasm>;
  export default factory;
}
