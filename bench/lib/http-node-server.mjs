// The node:http server the HTTP bench measures the wireline example against: the same routes
// (`GET /` → `Hello World!`, `POST /echo` streams the body back, else 404), written the way
// the Node docs write them. Prints `Listening on http://127.0.0.1:<port>/` like the example.
//
//   node bench/lib/http-node-server.mjs [port]
import http from 'node:http'

const server = http.createServer((req, res) => {
  const path = req.url.split('?', 1)[0]
  if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 12 })
    res.end('Hello World!')
  } else if (path === '/echo' && req.method === 'POST') {
    const headers = { 'Content-Type': req.headers['content-type'] ?? 'application/octet-stream' }
    if (req.headers['content-length'] !== undefined) headers['Content-Length'] = req.headers['content-length']
    res.writeHead(200, headers)
    req.pipe(res)
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 10 })
    res.end('Not Found\n')
  }
})
server.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), backlog: 511 }, () => {
  console.log(`Listening on http://127.0.0.1:${server.address().port}/`)
})
const stop = () => { server.close(); server.closeAllConnections() }
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
