/**
 * Python's `repr()` for the few value kinds the asyncio examples print, so that each port
 * prints exactly what the Python example prints.
 */
export function repr (value: unknown): string {
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'"
    const body = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
    return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote
  }
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (Array.isArray(value)) {
    // wireline's arrays stand for Python's tuples: [host, port] prints as ('host', port)
    const items = value.map(repr)
    return `(${items.join(', ')}${items.length === 1 ? ',' : ''})`
  }
  if (value instanceof Uint8Array) {
    let s = "b'"
    for (const byte of value) {
      if (byte === 0x27) s += "\\'"
      else if (byte === 0x5c) s += '\\\\'
      else if (byte === 0x0a) s += '\\n'
      else if (byte === 0x0d) s += '\\r'
      else if (byte === 0x09) s += '\\t'
      else if (byte >= 0x20 && byte < 0x7f) s += String.fromCharCode(byte)
      else s += '\\x' + byte.toString(16).padStart(2, '0')
    }
    return s + "'"
  }
  return String(value)
}

/** `bytes.decode()`: UTF-8. */
export function decode (data: Uint8Array): string {
  return new TextDecoder().decode(data)
}

/**
 * True when node was asked to run the example called `name` (`node dist/<name>.js`). The
 * demo bundles every example into one file, so the check is by name, not by module URL.
 */
export function isMain (name: string): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  const base = entry.replace(/^.*[\\/]/, '')
  return base === `${name}.js` || base === name
}
