/**
 * JSON parsing with a nesting bound checked before the parse. A v2 request is at most a handful of
 * levels deep (object, inputs, input, then one level per tensor dimension); a body nested thousands
 * of levels deep costs the parser (and the validator after it) seconds of event loop and a lot of
 * memory, so it is refused after one linear pass over its bytes that allocates nothing. The size
 * is bounded before this, by the route's body limit while the body is read.
 */
import secureJson from 'secure-json-parse';
import { invalidRequest } from '../../errors.js';

/** Deep enough for any tensor this server takes (4 dimensions) with room to spare. */
export const MAX_JSON_DEPTH = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** The deepest nesting in `bytes`, or a throw as soon as it passes `max` (strings are skipped). */
export function checkJsonDepth(bytes: Uint8Array, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > max) throw invalidRequest('json_too_deep', `the JSON body is nested more than ${max} levels deep`);
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
}

/** Parses a JSON body after the depth check; prototype-poisoning keys are refused, as Fastify does. */
export function parseBoundedJson(bytes: Buffer, max = MAX_JSON_DEPTH): unknown {
  checkJsonDepth(bytes, max);
  try {
    return secureJson.parse(bytes.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    throw invalidRequest('invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
}
