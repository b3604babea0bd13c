import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ParseResult, ScanResult } from 'libpg-query';
import type { PgQueryWasm } from 'libpg-query/wasm/libpg-query.js';

/**
 * libpg-query is PostgreSQL's own parser compiled to WebAssembly. Loading the module costs tens of
 * milliseconds, so it is imported only when a PostgreSQL file is linted (the rest of the CLI must
 * start fast), once per process; after that every call is synchronous, which keeps the linter a
 * plain function the rollback planner can call.
 *
 * The calls go straight to the package's WebAssembly exports (the same C entry points its
 * `parseSync`, `parsePlPgSQLSync` and `scanSync` wrap, with the same results and errors), because
 * the wrapper copies text in and out of WebAssembly memory one character at a time in JavaScript:
 * here the copies are TextEncoder/TextDecoder and a native search for the terminating NUL, which
 * measured about 13% of the parse time of a 20,000-statement lint. Importing the wrapper would
 * also instantiate a second copy of the module. The Emscripten file is CommonJS and is loaded with
 * require(): through import() Node would first scan its 60 kB for named exports (measured ~15 ms of a cold start).
 */
export interface PgParser {
  parseSync(query: string): ParseResult;
  parsePlPgSQLSync(query: string): ParseResult;
  scanSync(query: string): ScanResult;
}

/** The error libpg-query's own wrapper throws for a syntax error (message, 0-based cursor). */
export class SqlError extends Error {
  sqlDetails?: { message: string; cursorPosition: number; fileName?: string; functionName?: string; lineNumber?: number };
  constructor(message: string, details?: SqlError['sqlDetails']) {
    super(message);
    this.name = 'SqlError';
    this.sqlDetails = details;
  }
}

let loaded: PgParser | undefined;
let loading: Promise<PgParser> | undefined;
let compiling: Promise<WebAssembly.Module> | undefined;

// This file also runs inside the CommonJS bundle of the lint worker, where there is no import.meta.
const requireHere = (): NodeRequire => createRequire(typeof __filename === 'string' ? __filename : import.meta.url);

/**
 * The parser's compiled WebAssembly, once per thread. A WebAssembly.Module crosses threads without
 * being compiled again, so a `rewind lint` worker thread is handed its parent's (loadPgParser's
 * argument) rather than read and validate 1.7 MB while it competes with its parent for the cores.
 */
export function pgParserModule(): Promise<WebAssembly.Module> {
  // The WebAssembly starts compiling (on V8's background threads) before this function returns:
  // Emscripten's own loader only starts it a few promise hops later, that is after whatever
  // synchronous work the caller does next (such as reading all the files to lint).
  compiling ??= WebAssembly.compile(readFileSync(requireHere().resolve('libpg-query/wasm/libpg-query.wasm')));
  return compiling;
}

/** @param compiled the module, when another thread compiled it (see pgParserModule). */
export async function loadPgParser(compiled?: Promise<WebAssembly.Module>): Promise<PgParser> {
  if (loaded) return loaded;
  loading ??= (async () => {
    const module = compiled ?? pgParserModule(); // compiling while the Emscripten glue loads
    const factory = requireHere()('libpg-query/wasm/libpg-query.js') as typeof import('libpg-query/wasm/libpg-query.js').default;
    let failed: (error: unknown) => void = () => undefined;
    const instantiateFailed = new Promise<never>((_, reject) => (failed = reject));
    const instantiateWasm = (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void): object => {
      module.then((m) => WebAssembly.instantiate(m, imports)).then(receive, failed);
      return {};
    };
    loaded = wrap(await Promise.race([factory({ instantiateWasm }), instantiateFailed]));
    return loaded;
  })();
  return loading;
}

/** The loaded parser; callers must have awaited loadPgParser() (lintMigrations does). */
export function pgParser(): PgParser {
  if (!loaded) throw new Error('the PostgreSQL parser is not loaded: await loadPgParser() (or use lintMigrations) first');
  return loaded;
}

const ERROR_PREFIXES = ['syntax error', 'deparse error', 'ERROR'];

function wrap(wasm: PgQueryWasm): PgParser {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  // One input buffer for every call, grown when a text needs more: a malloc and a free per file
  // are two more calls across the JavaScript/WebAssembly boundary, each through V8's generic wrapper.
  let inputPtr = 0;
  let inputSize = 0;
  const inputBuffer = (size: number): number => {
    if (size > inputSize) {
      if (inputPtr) wasm._free(inputPtr);
      inputSize = Math.max(size, 64 * 1024);
      inputPtr = wasm._malloc(inputSize);
      if (!inputPtr) {
        inputSize = 0;
        throw new Error('Failed to parse query: memory allocation failed');
      }
    }
    return inputPtr;
  };

  /** The text as a NUL-terminated UTF-8 string in WebAssembly memory (the shared input buffer: valid until the next call). */
  const toPtr = (text: string): number => {
    if (typeof text !== 'string') throw new TypeError(`Expected a string, got ${typeof text}`);
    // Text that is not well-formed UTF-16 (a lone surrogate) goes through Emscripten's own encoder,
    // which encodes it differently from TextEncoder: the parser must see the bytes it always saw.
    if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) {
      const size = wasm.lengthBytesUTF8(text) + 1;
      const ptr = inputBuffer(size);
      wasm.stringToUTF8(text, ptr, size);
      return ptr;
    }
    const size = text.length * 3 + 1; // UTF-8 needs at most 3 bytes per UTF-16 code unit
    const ptr = inputBuffer(size);
    const { written } = encoder.encodeInto(text, wasm.HEAPU8.subarray(ptr, ptr + size - 1)); // read after malloc: memory may have grown
    wasm.HEAPU8[ptr + written] = 0;
    return ptr;
  };
  const fromPtr = (ptr: number): string => {
    if (!ptr) return '';
    const heap = wasm.HEAPU8; // read after the call: memory may have grown (a new buffer)
    const end = heap.indexOf(0, ptr);
    // Emscripten decodes strings of up to 16 bytes itself; the same for valid UTF-8, but keep it exact.
    if (end === -1 || end - ptr <= 16) return wasm.UTF8ToString(ptr);
    return decoder.decode(heap.subarray(ptr, end));
  };
  /** Calls one of the string-in, string-out entry points (PL/pgSQL parse, scan). */
  const stringCall = (query: string, call: (ptr: number) => number): string => {
    const queryPtr = toPtr(query);
    let resultPtr = 0;
    try {
      resultPtr = call(queryPtr);
      return fromPtr(resultPtr);
    } finally {
      if (resultPtr) wasm._wasm_free_string(resultPtr);
    }
  };

  return {
    parseSync(query: string): ParseResult {
      if (query === null || query === undefined) throw new Error('Query cannot be null or undefined');
      if (query === '') throw new Error('Query cannot be empty');
      const queryPtr = toPtr(query);
      let resultPtr = 0;
      try {
        resultPtr = wasm._wasm_parse_query_raw(queryPtr);
        if (!resultPtr) throw new Error('Failed to parse query: memory allocation failed');
        const treePtr = wasm.getValue(resultPtr, 'i32');
        const errorPtr = wasm.getValue(resultPtr + 8, 'i32');
        if (errorPtr) {
          const messagePtr = wasm.getValue(errorPtr, 'i32');
          const funcnamePtr = wasm.getValue(errorPtr + 4, 'i32');
          const filenamePtr = wasm.getValue(errorPtr + 8, 'i32');
          const lineno = wasm.getValue(errorPtr + 12, 'i32');
          const cursorpos = wasm.getValue(errorPtr + 16, 'i32');
          const message = messagePtr ? wasm.UTF8ToString(messagePtr) : 'Unknown error';
          throw new SqlError(message, {
            message,
            cursorPosition: cursorpos > 0 ? cursorpos - 1 : 0,
            fileName: filenamePtr ? wasm.UTF8ToString(filenamePtr) : undefined,
            functionName: funcnamePtr ? wasm.UTF8ToString(funcnamePtr) : undefined,
            lineNumber: lineno > 0 ? lineno : undefined,
          });
        }
        if (!treePtr) throw new Error('No parse tree generated');
        return JSON.parse(fromPtr(treePtr)) as ParseResult;
      } finally {
        if (resultPtr) wasm._wasm_free_parse_result(resultPtr);
      }
    },
    parsePlPgSQLSync(query: string): ParseResult {
      const result = stringCall(query, (ptr) => wasm._wasm_parse_plpgsql(ptr));
      // Success is always a JSON object; anything else is an error message.
      if (!result.startsWith('{')) throw new Error(result);
      return JSON.parse(result) as ParseResult;
    },
    scanSync(query: string): ScanResult {
      const result = stringCall(query, (ptr) => wasm._wasm_scan(ptr));
      if (ERROR_PREFIXES.some((p) => result.startsWith(p))) throw new Error(result);
      return JSON.parse(result) as ScanResult;
    },
  };
}
