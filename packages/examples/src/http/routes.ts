/**
 * The example application: `GET /` answers `Hello World!`, `POST /echo` sends the request
 * body back as it arrives (length-framed when the request was, chunked when it was chunked),
 * anything else is 404 (or 405 for a known path and another method).
 *
 * The echo never holds the body: each piece the parser hands over is written at once, and
 * the server stops reading while the transport is paused for writing, so an upload of any
 * size runs in the memory of one read plus the transport's high-water mark.
 */
import type { RequestHandler } from './server.js'

const TEXT: Array<[string, string]> = [['Content-Type', 'text/plain']]

export const helloEcho: RequestHandler = (req, res) => {
  const path = req.target.split('?', 1)[0]
  if (path === '/') {
    if (req.method === 'GET' || req.method === 'HEAD') return res.send(200, 'Hello World!', TEXT)
    return res.send(405, 'Method Not Allowed\n', [...TEXT, ['Allow', 'GET, HEAD']])
  }
  if (path === '/echo') {
    if (req.method !== 'POST') return res.send(405, 'Method Not Allowed\n', [...TEXT, ['Allow', 'POST']])
    const type = req.headers.find(([name]) => name === 'content-type')?.[1] ?? 'application/octet-stream'
    // -1: a chunked request gets a chunked response (no length given)
    res.writeHead(200, [['Content-Type', type]], req.contentLength === -1 ? undefined : req.contentLength)
    return {
      data: (chunk) => res.write(chunk),
      end: () => res.end(),
    }
  }
  return res.send(404, 'Not Found\n', TEXT)
}
