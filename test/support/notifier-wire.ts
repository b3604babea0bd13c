/**
 * What the public docs say a request must look like, checked the way the real service would refuse
 * it (with a 400). Tests run these inside local receivers so a wrong field name fails delivery.
 */

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * PagerDuty Events API v2 (developer.pagerduty.com, "Send an Alert Event" and "Send a Change
 * Event"): alerts POST to /v2/enqueue with routing_key, event_action (trigger, acknowledge,
 * resolve), dedup_key (at most 255 characters; required to acknowledge or resolve), and for a trigger
 * a payload with summary (at most 1024), source and severity (critical, error, warning, info), an
 * optional ISO 8601 timestamp; change events POST to /v2/change/enqueue with routing_key and a
 * payload with summary, optional timestamp, source and custom_details.
 */
export function pagerDutyProblems(path: string, body: unknown, routingKey: string): string[] {
  const problems: string[] = [];
  if (!isObject(body)) return ['the body is not a JSON object'];
  if (body.routing_key !== routingKey) problems.push('routing_key is missing or wrong');
  const payload = body.payload;
  const timestamp = isObject(payload) ? payload.timestamp : undefined;
  if (timestamp !== undefined && (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp)))) problems.push('payload.timestamp is not ISO 8601');
  if (path === '/v2/enqueue') {
    if (!['trigger', 'acknowledge', 'resolve'].includes(body.event_action as string)) problems.push(`event_action ${String(body.event_action)} is not trigger, acknowledge or resolve`);
    if (body.dedup_key !== undefined && (!nonEmpty(body.dedup_key) || body.dedup_key.length > 255)) problems.push('dedup_key is not a string of 1–255 characters');
    if (body.event_action !== 'trigger' && body.dedup_key === undefined) problems.push(`${String(body.event_action)} needs a dedup_key`);
    if (body.event_action === 'trigger') {
      if (!isObject(payload)) problems.push('a trigger needs a payload');
      else {
        if (!nonEmpty(payload.summary) || payload.summary.length > 1024) problems.push('payload.summary is not a string of 1–1024 characters');
        if (!nonEmpty(payload.source)) problems.push('payload.source is missing');
        if (!['critical', 'error', 'warning', 'info'].includes(payload.severity as string)) problems.push(`payload.severity ${String(payload.severity)} is not critical, error, warning or info`);
      }
    }
  } else if (path === '/v2/change/enqueue') {
    if (!isObject(payload) || !nonEmpty(payload.summary) || payload.summary.length > 1024) problems.push('a change event needs payload.summary (1–1024 characters)');
  } else problems.push(`no such endpoint ${path}`);
  return problems;
}

/**
 * A Slack incoming webhook (api.slack.com, "Sending messages using incoming webhooks", Block Kit
 * reference): `text` (the fallback shown in notifications) and `blocks`, at most 50, each a known
 * block: header (plain_text, at most 150 characters), section (text of at most 3000), context (1–10
 * elements); message metadata, when present, has an event_type and an event_payload of scalars.
 */
export function slackProblems(body: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(body)) return ['invalid_payload: not a JSON object'];
  if (!nonEmpty(body.text)) problems.push('no text fallback');
  const blocks = body.blocks;
  if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 50) return [...problems, 'invalid_blocks: blocks must be 1–50 blocks'];
  for (const [i, block] of blocks.entries()) {
    if (!isObject(block)) {
      problems.push(`invalid_blocks: block ${i} is not an object`);
      continue;
    }
    const text = block.text;
    if (block.type === 'header') {
      if (!isObject(text) || text.type !== 'plain_text' || !nonEmpty(text.text) || text.text.length > 150) problems.push(`invalid_blocks: header ${i} needs plain_text of 1–150 characters`);
    } else if (block.type === 'section') {
      if (!isObject(text) || !['mrkdwn', 'plain_text'].includes(text.type as string) || !nonEmpty(text.text) || text.text.length > 3000) problems.push(`invalid_blocks: section ${i} needs text of 1–3000 characters`);
    } else if (block.type === 'context') {
      if (!Array.isArray(block.elements) || block.elements.length < 1 || block.elements.length > 10) problems.push(`invalid_blocks: context ${i} needs 1–10 elements`);
    } else problems.push(`invalid_blocks: block ${i} has type ${String(block.type)}`);
  }
  const metadata = body.metadata;
  if (metadata !== undefined) {
    if (!isObject(metadata) || !nonEmpty(metadata.event_type) || !isObject(metadata.event_payload)) problems.push('invalid_metadata');
    else if (!Object.values(metadata.event_payload).every((v) => ['string', 'number', 'boolean'].includes(typeof v))) problems.push('invalid_metadata: event_payload values must be scalars');
  }
  return problems;
}
