/**
 * Where a transfer meets: the signaling server's WebSocket URL, the web app's origin for links, and what
 * `dyad receive` is given (a code or a link, docs/file-transfer.md §9.1).
 */
import { networkInterfaces } from 'node:os';
import { type Pairing, parsePairingCode, secretFromFragment } from '../client/index.ts';
import { UserError } from './errors.ts';

export interface SignalingTarget {
  /** ws(s)://host[:port]/WebRTCAppEE/websocket */
  wsUrl: string;
  /** http(s)://host[:port], where the web app's /receive page is. */
  webOrigin: string;
}

/** `--server` takes the address of a `dyad serve`: http(s)://host:port, or its ws(s):// signaling URL. */
export function signalingTarget(server: string): SignalingTarget {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(server) ? server : `http://${server}`);
  } catch {
    throw new UserError(`--server takes an address like https://dyad.example.org, got "${server}".`);
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol))
    throw new UserError(`--server takes an http(s):// or ws(s):// address, got "${server}".`);
  const path = url.pathname.endsWith('/websocket') ? url.pathname : '/WebRTCAppEE/websocket';
  return {
    wsUrl: `${secure ? 'wss' : 'ws'}://${url.host}${path}`,
    webOrigin: `${secure ? 'https' : 'http'}://${url.host}`,
  };
}

/** The link a browser opens: the web app's receive page, the secret in the fragment (never sent). */
export function receiveLink(webOrigin: string, pairing: Pairing): string {
  return `${webOrigin}/receive/${encodeURIComponent(pairing.room)}#${pairing.secret}`;
}

export interface ReceiveTarget extends SignalingTarget, Pairing {}

/** What `dyad receive` was given: a link (it names its server) or a code (the server comes from --server). */
export function parseReceiveTarget(codeOrLink: string, server: string | undefined): ReceiveTarget {
  if (/^https?:\/\//i.test(codeOrLink)) {
    let url: URL;
    try {
      url = new URL(codeOrLink);
    } catch {
      throw new UserError(`"${codeOrLink}" is not a link that can be read.`);
    }
    const match = /^\/receive\/([A-Za-z0-9_.-]{1,64})\/?$/.exec(url.pathname);
    if (!match) throw new UserError('This link is not a Dyad receive link (…/receive/<room>#<secret>).');
    const secret = secretFromFragment(url.hash);
    if (!secret)
      throw new UserError(
        'This link lacks its secret part (after the #): copy the whole link the sender printed.',
      );
    // A link names its own server; --server (or DYAD_SERVER) is for codes.
    return { ...signalingTarget(url.origin), room: match[1]!, secret };
  }
  const pairing = parsePairingCode(codeOrLink);
  if (!pairing)
    throw new UserError(
      `"${codeOrLink}" is neither a code (like k3qd-7hxa-9mvw-2bfe-tq8c-n4ry) nor a link: copy what the sender printed.`,
    );
  if (!server)
    throw new UserError(
      'A code needs the signaling server the sender used: add --server with the address the sender printed, ' +
        'or give the link instead.',
    );
  return { ...signalingTarget(server), ...pairing };
}

function isPrivateIPv4(address: string): boolean {
  return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address);
}

/**
 * This machine's address on the local network: a private IPv4 address (RFC 1918 §3) if there is one
 * (what a phone on the same Wi-Fi reaches), else any non-loopback IPv4; undefined when there is none.
 */
export function lanAddress(): string | undefined {
  const candidates = Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && address.family === 'IPv4' && !address.internal)
    .map((address) => address!.address);
  return candidates.find(isPrivateIPv4) ?? candidates[0];
}
