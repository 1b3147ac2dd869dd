/**
 * JSON bodies with bounds checked before the parse, chunk by chunk as the body arrives: nesting
 * depth, and the number of arrays and objects. A v2 request is a handful of levels deep (object,
 * inputs, input, then one level per tensor dimension); a body nested millions of levels deep, or
 * made of millions of empty arrays, costs the parser seconds of event loop and hundreds of MB, so
 * it is refused at the chunk that passes a bound, before the rest is even read. The scan skips
 * from one structural character to the next with a native regular expression, so a legitimate
 * 12 MB body of numbers costs a few milliseconds, spread over its chunks. Size is bounded by the
 * route's body limit, also while reading.
 */
import secureJson from 'secure-json-parse';
import { invalidRequest } from '../../errors.js';

export interface JsonBounds {
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Arrays and objects in the whole body. */
  maxContainers: number;
}

/**
 * Deep enough for any tensor this server takes (4 dimensions) with room to spare; containers for
 * about ten 224x224x3 rows in the nested form (51,000 arrays each). Flat data, as Triton's and
 * KServe's clients send it, needs one array per tensor.
 */
export const JSON_BOUNDS: JsonBounds = { maxDepth: 16, maxContainers: 512 * 1024 };

// Outside strings: anything structural. Inside: the end of the string or an escape.
const STRUCTURAL = /["[\]{}]/g;
const IN_STRING = /["\\]/g;

/** Feeds a JSON text in chunks and throws as soon as a bound is passed. */
export class JsonBoundsScanner {
  private depth = 0;
  private containers = 0;
  private inString = false;
  /** A backslash ended the previous chunk: the first character of this one is escaped. */
  private escaped = false;

  constructor(private readonly bounds: JsonBounds = JSON_BOUNDS) {}

  feed(chunk: Buffer): void {
    // latin1 maps bytes 1:1 to characters; every structural character is ASCII.
    const text = chunk.toString('latin1');
    let at = 0;
    if (this.escaped) {
      at = 1;
      this.escaped = false;
    }
    while (at < text.length) {
      const re = this.inString ? IN_STRING : STRUCTURAL;
      re.lastIndex = at;
      const m = re.exec(text);
      if (m === null) return;
      at = m.index + 1;
      const c = m[0];
      if (this.inString) {
        if (c === '"') this.inString = false;
        else if (at < text.length) at++; // skip the escaped character
        else this.escaped = true;
      } else if (c === '"') {
        this.inString = true;
      } else if (c === '[' || c === '{') {
        if (++this.depth > this.bounds.maxDepth) throw invalidRequest('json_too_deep', `the JSON body is nested more than ${this.bounds.maxDepth} levels deep`);
        if (++this.containers > this.bounds.maxContainers) {
          throw invalidRequest('json_too_complex', `the JSON body holds more than ${this.bounds.maxContainers} arrays and objects; send tensor data flat`);
        }
      } else {
        this.depth--;
      }
    }
  }
}

/** Parses a JSON text already scanned; prototype-poisoning keys are refused, as Fastify does. */
export function parseJson(bytes: Buffer): unknown {
  try {
    return secureJson.parse(bytes.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    throw invalidRequest('invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Scan and parse in one go (bodies already in memory). */
export function parseBoundedJson(bytes: Buffer, bounds: JsonBounds = JSON_BOUNDS): unknown {
  new JsonBoundsScanner(bounds).feed(bytes);
  return parseJson(bytes);
}
