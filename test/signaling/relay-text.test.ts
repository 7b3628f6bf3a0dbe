import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RelayedMessage } from '../../src/signaling/index.ts';
import { relayedText } from '../../src/signaling/relay-text.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** A message as the server holds it: the text it arrived in and what JSON.parse made of it. */
const arrived = (text: string) => ({
  source: encoder.encode(text),
  message: JSON.parse(text) as RelayedMessage,
});
const relayed = (text: string) => {
  const { source, message } = arrived(text);
  const out = relayedText(message, source);
  return out && decoder.decode(out);
};

test('a takeConfiguration with exactly its fields is forwarded as it came, plus idMapping: {}', () => {
  const text = '{"streamId":"r","command":"takeConfiguration","type":"offer","sdp":"v=0\\r\\nü\\u0000"}';
  const out = relayed(text);
  assert.equal(out, `${text.slice(0, -1)},"idMapping":{}}`);
  assert.deepEqual(JSON.parse(out!), { ...JSON.parse(text), idMapping: {} });
  // Whitespace after the object (RFC 8259 §2 allows it) is dropped with the closing brace.
  assert.equal(relayed(`${text} \r\n\t`), out);
});

test('a takeConfiguration with any other field is left to be rebuilt', () => {
  const fields = '"command":"takeConfiguration","streamId":"r","type":"answer","sdp":"s"';
  assert.equal(relayed(`{${fields},"idMapping":{"a":1}}`), undefined);
  assert.equal(relayed(`{${fields},"extra":1}`), undefined);
  assert.equal(relayed(`{${fields},"__proto__":{"x":1}}`), undefined);
});

test('a takeCandidate is forwarded unchanged only with a string id; a missing or null id needs rebuilding', () => {
  const text = '{"command":"takeCandidate","streamId":"r","label":0,"id":"0","candidate":"candidate:1"}';
  const { source, message } = arrived(text);
  assert.equal(relayedText(message, source), source);
  assert.equal(
    relayed('{"command":"takeCandidate","streamId":"r","label":0,"id":null,"candidate":""}'),
    undefined,
  );
  assert.equal(relayed('{"command":"takeCandidate","streamId":"r","label":0,"candidate":""}'), undefined);
  assert.equal(
    relayed('{"command":"takeCandidate","streamId":"r","label":0,"id":"0","candidate":"","x":1}'),
    undefined,
  );
});

test('a peerMessageCommand is forwarded unchanged unless it carries fields the protocol does not relay', () => {
  const text = '{"command":"peerMessageCommand","streamId":"r","data":{"any":[1,"x"]}}';
  assert.equal(relayed(text), text);
  assert.equal(relayed('{"command":"peerMessageCommand","streamId":"r","secret":"s"}'), undefined);
});
