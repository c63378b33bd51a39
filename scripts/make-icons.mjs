#!/usr/bin/env node
/**
 * Draws the app icons into public/: PNGs for the web manifest and an SVG favicon,
 * all the same picture (three linked records: a thread). No dependencies: the PNGs
 * are encoded by hand with zlib, so the icons can be regenerated anywhere.
 * Run: node scripts/make-icons.mjs
 */
import { writeFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'

const ACCENT = [76, 110, 245] // #4c6ef5, the app's accent colour
const WHITE = [255, 255, 255]
// The picture in unit coordinates; the maskable icon keeps it inside the 80 % safe circle.
const NODES = [[0.28, 0.64], [0.5, 0.4], [0.72, 0.6]]
const NODE_RADIUS = 0.085
const LINK_HALF_WIDTH = 0.026
const CORNER = 0.22 // rounded-square radius of the "any" icons

const out = new URL('../public/', import.meta.url)
writeFileSync(new URL('pwa-192x192.png', out), png(192, { maskable: false }))
writeFileSync(new URL('pwa-512x512.png', out), png(512, { maskable: false }))
writeFileSync(new URL('maskable-512x512.png', out), png(512, { maskable: true }))
writeFileSync(new URL('apple-touch-icon.png', out), png(180, { maskable: true }))
writeFileSync(new URL('favicon.svg', out), svg())
console.log('icons written to public/')

function png (size, { maskable }) {
  const SAMPLES = 4 // 4×4 supersampling for smooth edges
  const rows = []
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4) // leading 0: filter type "none"
    for (let x = 0; x < size; x++) {
      let bg = 0
      let fg = 0
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const u = (x + (sx + 0.5) / SAMPLES) / size
          const v = (y + (sy + 0.5) / SAMPLES) / size
          if (maskable || insideRoundedSquare(u, v)) bg++
          if (insidePicture(u, v)) fg++
        }
      }
      const n = SAMPLES * SAMPLES
      const alpha = bg / n
      const mix = bg === 0 ? 0 : fg / bg
      const rgb = ACCENT.map((c, i) => Math.round(c + (WHITE[i] - c) * mix))
      row.set([...rgb, Math.round(alpha * 255)], 1 + x * 4)
    }
    rows.push(row)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8-bit RGBA, deflate, no filter method variants, no interlace
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0))
  ])
}

function insidePicture (u, v) {
  for (const [x, y] of NODES) if (Math.hypot(u - x, v - y) <= NODE_RADIUS) return true
  for (let i = 1; i < NODES.length; i++) {
    if (distanceToSegment([u, v], NODES[i - 1], NODES[i]) <= LINK_HALF_WIDTH) return true
  }
  return false
}

function insideRoundedSquare (u, v) {
  const dx = Math.max(CORNER - u, 0, u - (1 - CORNER))
  const dy = Math.max(CORNER - v, 0, v - (1 - CORNER))
  return Math.hypot(dx, dy) <= CORNER
}

function distanceToSegment ([px, py], [ax, ay], [bx, by]) {
  const t = Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)))
  return Math.hypot(px - (ax + t * (bx - ax)), py - (ay + t * (by - ay)))
}

function chunk (type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  body.copy(out, 4)
  out.writeUInt32BE(crc32(body), 8 + data.length)
  return out
}

function crc32 (bytes) {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1))
  }
  return (crc ^ 0xffffffff) >>> 0
}

function svg () {
  const s = (n) => +(n * 64).toFixed(2)
  const hex = '#' + ACCENT.map((c) => c.toString(16).padStart(2, '0')).join('')
  const path = NODES.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${s(x)} ${s(y)}`).join(' ')
  const circles = NODES.map(([x, y]) => `<circle cx="${s(x)}" cy="${s(y)}" r="${s(NODE_RADIUS)}"/>`).join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">` +
    `<rect width="64" height="64" rx="${s(CORNER)}" fill="${hex}"/>` +
    `<path d="${path}" fill="none" stroke="#fff" stroke-width="${s(LINK_HALF_WIDTH * 2)}" stroke-linecap="round"/>` +
    `<g fill="#fff">${circles}</g></svg>\n`
}
