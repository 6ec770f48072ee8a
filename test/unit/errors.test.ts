import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERRORS, FramewiseError, toErrorBody } from '../../src/core/errors.js';
import { toFramewiseError } from '../../src/stages/api/error-mapping.js';

test('every catalogue entry has an ERR_<AREA>_<PROBLEM> code and an HTTP error status', () => {
  for (const [code, e] of Object.entries(ERRORS)) {
    assert.match(code, /^ERR_[A-Z]+_[A-Z_]+$/);
    assert.ok(e.status >= 400 && e.status <= 599, code);
    assert.ok(e.message.length > 0, code);
  }
});

test('messages are filled in and the body has the one error shape', () => {
  const e = new FramewiseError('ERR_JOB_NOT_FOUND', 'abc');
  assert.equal(e.status, 404);
  assert.deepEqual(toErrorBody(e), { error: { code: 'ERR_JOB_NOT_FOUND', message: 'No job with event id abc' } });
});

test('framework errors map to catalogue errors; unknown errors become 500 without details', () => {
  assert.equal(toFramewiseError({ validation: [{}], message: 'body/object must be string' }).code, 'ERR_REQUEST_INVALID');
  assert.equal(toFramewiseError({ code: 'FST_REQ_FILE_TOO_LARGE', statusCode: 413, message: '' }).status, 413);
  assert.equal(toFramewiseError({ code: 'FST_INVALID_MULTIPART_CONTENT_TYPE', statusCode: 406, message: '' }).code, 'ERR_UPLOAD_NO_FILE');
  assert.equal(toFramewiseError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415, message: 'Unsupported Media Type: text/csv' }).status, 415);
  assert.equal(toFramewiseError({ statusCode: 400, message: 'Body is not valid JSON' }).code, 'ERR_REQUEST_INVALID');
  assert.equal(toFramewiseError(Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoServerSelectionError' })).status, 503);
  const internal = toFramewiseError(new Error('secret connection string'));
  assert.equal(internal.status, 500);
  assert.doesNotMatch(internal.message, /secret/);
});
