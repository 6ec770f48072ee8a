import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FramewiseError } from '../../src/core/errors.js';
import { jobOptions, optionsFromFields, OPTION_NAMES } from '../../src/stages/api/job-options.js';
import { checkResultQuery } from '../../src/stages/api/result-pages.js';
import { schemaErrorFormatter } from '../../src/stages/api/strict-requests.js';
import { COCO_CLASSES } from '../../src/adapters/detector/coco-classes.js';

/**
 * Property tests (fast-check) of the parsers that take a client's text: whatever arrives, the
 * answer is a value within its rules or the one catalogue error meant for it — never another
 * exception, which the API would turn into a 500.
 */

/** Text a client might send for an option: plausible values, their edges, and anything at all. */
const optionText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '1',
    '-1',
    '1e3',
    '0x10',
    'NaN',
    'Infinity',
    'true',
    'false',
    'person, car',
    ',,',
    'https://hooks.example.com/x',
    'http://user:pw@host/',
    'file:///etc/passwd',
    'javascript:alert(1)',
  ),
);

const ctx = { model: 'centernet-coco', classesOf: () => COCO_CLASSES };

test('job options from form fields: valid options within their rules, or ERR_OPTION_INVALID', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...OPTION_NAMES), optionText), (fields) => {
      let options;
      try {
        options = jobOptions(optionsFromFields(fields), ctx);
      } catch (err) {
        assert.ok(err instanceof FramewiseError && err.code === 'ERR_OPTION_INVALID', `not an option error: ${String(err)}`);
        return;
      }
      if (options.sample_every !== undefined) assert.ok(Number.isInteger(options.sample_every) && options.sample_every >= 1);
      if (options.sample_fps !== undefined) assert.ok(options.sample_fps > 0 && options.sample_fps <= 1000);
      assert.ok(options.sample_every === undefined || options.sample_fps === undefined, 'one sampling rule');
      for (const v of [options.confidence, options.iou]) if (v !== undefined) assert.ok(v >= 0 && v <= 1);
      if (options.classes) assert.ok(options.classes.length > 0 && options.classes.every((c) => COCO_CLASSES.includes(c)));
      if (options.webhook_url) assert.match(options.webhook_url, /^https?:\/\/[^@]+$/);
    }),
    { numRuns: 2000 },
  );
});

test('result queries: a cursor or time range a client made up is ERR_RESULT_QUERY_INVALID, never a crash', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 100 }), fc.option(fc.double({ min: 0 })), fc.option(fc.double({ min: 0 })), (cursor, from, to) => {
      try {
        checkResultQuery({ cursor, ...(from !== null ? { fromMs: from } : {}), ...(to !== null ? { toMs: to } : {}) });
      } catch (err) {
        assert.ok(err instanceof FramewiseError && err.code === 'ERR_RESULT_QUERY_INVALID', String(err));
      }
    }),
    { numRuns: 2000 },
  );
});

test('validation messages name what was refused, whatever its name', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.constantFrom('body' as const, 'querystring' as const), (name, part) => {
      const message = schemaErrorFormatter(
        [
          {
            keyword: 'additionalProperties',
            instancePath: '',
            schemaPath: '#/additionalProperties',
            params: { additionalProperty: name },
            message: 'must NOT have additional properties',
          },
        ],
        part,
      ).message;
      assert.ok(message.includes(JSON.stringify(name.slice(0, 100))), message);
    }),
  );
});
