import { CORE_SCHEMA, EVENT_ID, YAML11_SCHEMA, YAMLException, constructFromEvents, parseEvents } from 'js-yaml';
import { RewindError } from '../errors/rewind-error.js';
import { findAliasOverrun, MAX_ALIASED_NODES } from './yaml-alias-budget.js';

/**
 * One YAML 1.2 document (core schema; a `%YAML 1.1` directive selects 1.1), duplicate keys refused,
 * aliases within a budget (yaml-alias-budget.ts: REWIND_E_CONFIG_TOO_LARGE past it). `file` names
 * the text in errors: the path that was read (--config, $REWIND_CONFIG or ./rewind.yaml); `what`, when
 * given, is how the messages name it instead ("smoke suite <path>"), the details keep the path.
 * js-yaml rather than the `yaml` package because every command reads the config first: on a cold
 * start `yaml` costs ~15 ms more to compile and warm up for a file of this size.
 */
export function parseYaml(text: string, file = 'rewind.yaml', what = file): unknown {
  try {
    const events = parseEvents(text, {});
    const documents = events.flatMap((event, index) => (event.type === EVENT_ID.DOCUMENT ? [{ event, index }] : []));
    if (documents.length > 1) {
      // The position of the second document's first node (its `---` line has no offset of its own).
      const node = events.slice(documents[1]!.index).find((event) => 'start' in event || 'valueStart' in event);
      const offset = node && ('start' in node ? node.start : 'valueStart' in node ? node.valueStart : undefined);
      throw yamlError(file, what, 'the file holds more than one YAML document (one is expected)', offset === undefined ? undefined : lineAndColumn(text, offset));
    }
    const overrun = findAliasOverrun(events, text);
    if (overrun) {
      const at = lineAndColumn(text, overrun.offset);
      const reason =
        overrun.reason === 'cycle'
          ? `alias *${overrun.anchor} is inside the collection it names, so it would repeat without end`
          : `with alias *${overrun.anchor} its aliases stand for more than ${MAX_ALIASED_NODES.toLocaleString('en-US')} nodes (an alias counts as a copy of everything its anchor holds)`;
      throw new RewindError('REWIND_E_CONFIG_TOO_LARGE', `${what} is too large (line ${at.line}, column ${at.column}): ${reason}`, { line: at.line, column: at.column, anchor: overrun.anchor });
    }
    const first = documents[0]?.event;
    const yaml11 = first?.type === EVENT_ID.DOCUMENT && first.directives.some((d) => d.kind === 'yaml' && d.version === '1.1');
    return constructFromEvents(events, { source: text, schema: yaml11 ? YAML11_SCHEMA : CORE_SCHEMA })[0];
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const reason = error.reason === 'duplicated mapping key' ? 'duplicated mapping key (map keys must be unique)' : error.reason;
    throw yamlError(file, what, reason, error.mark ? { line: error.mark.line + 1, column: error.mark.column + 1 } : undefined);
  }
}

function yamlError(file: string, what: string, reason: string, at: { line: number; column: number } | undefined): RewindError {
  const where = at ? `line ${at.line}, column ${at.column}` : 'unknown position';
  return new RewindError('REWIND_E_CONFIG_YAML', `${what} is not valid YAML (${where}): ${reason}`, { path: file, line: at?.line, column: at?.column });
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}
