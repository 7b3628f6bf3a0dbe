/*
 * Dyad's streaming-download service worker. A page that receives a file without the File System Access API
 * hands its chunks to this worker over a MessagePort; the worker answers a navigation to
 * /__dyad_download/<id>/<name> with a ReadableStream of them, so the browser writes the file to the
 * Downloads folder as it arrives and the page never holds the whole file.
 *
 * Port messages from the page: {type:'chunk', data:ArrayBuffer}, {type:'end'}, {type:'abort', reason}.
 * To the page: {type:'ready'} once registered, {type:'started'} when the download began, {type:'ack'}
 * after each chunk once the stream has room (backpressure), {type:'cancelled'} if the person stopped it.
 */
const downloads = new Map();
const highWaterMark = 1024 * 1024;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const message = event.data;
  if (message?.type !== 'download' || typeof message.id !== 'string' || !event.ports[0]) return;
  const port = event.ports[0];
  let pendingAck = false;
  let controller;
  const stream = new ReadableStream(
    {
      start(c) {
        controller = c;
      },
      pull() {
        if (pendingAck) {
          pendingAck = false;
          port.postMessage({ type: 'ack' });
        }
      },
      cancel() {
        port.postMessage({ type: 'cancelled' });
        downloads.delete(message.id);
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark }),
  );
  port.onmessage = ({ data }) => {
    if (data.type === 'chunk') {
      controller.enqueue(new Uint8Array(data.data));
      if (controller.desiredSize > 0) port.postMessage({ type: 'ack' });
      else pendingAck = true;
    } else if (data.type === 'end') {
      controller.close();
      port.close();
    } else if (data.type === 'abort') {
      // Erroring the stream fails the download: the browser discards the partial file.
      controller.error(new Error(String(data.reason)));
      port.close();
      downloads.delete(message.id);
    } else if (data.type === 'ping') {
      port.postMessage({ type: 'pong' });
    }
  };
  downloads.set(message.id, {
    stream,
    port,
    name: String(message.name),
    size: message.size,
    mime: message.mime,
  });
  port.postMessage({ type: 'ready' });
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const match = /^\/__dyad_download\/([A-Za-z0-9_-]+)\//.exec(url.pathname);
  if (!match) return;
  const download = downloads.get(match[1]);
  if (!download) {
    event.respondWith(new Response('This download is no longer available.', { status: 404 }));
    return;
  }
  downloads.delete(match[1]);
  download.port.postMessage({ type: 'started' });
  const asciiName = download.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(download.name)}`,
    'X-Content-Type-Options': 'nosniff',
  };
  if (Number.isSafeInteger(download.size)) headers['Content-Length'] = String(download.size);
  event.respondWith(new Response(download.stream, { headers }));
});
