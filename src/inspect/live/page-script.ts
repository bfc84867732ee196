/**
 * The live page's script, as the text served inside the page (plain browser JavaScript, no
 * framework, nothing fetched): it opens the event stream (/events) and applies each message of
 * live-protocol.ts to the DOM the server rendered (live-page.ts). Text goes in through
 * textContent only. Hooks kept stable for tests and the demo: `section.actor[data-actor][data-state]`,
 * `#actors tr[data-actor]`, `#members tr[data-member][data-status]`, `#transitions li`, `#conn[data-conn]`.
 */

/** Transitions listed on the page at most (older ones are removed as new ones come). */
export const PAGE_TRANSITIONS_MAX = 100

export const PAGE_SCRIPT = `
(() => {
  'use strict'
  const MAX = ${PAGE_TRANSITIONS_MAX}
  const q = (sel, root) => (root || document).querySelector(sel)
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = String(text); return e }
  const attr = (s) => CSS.escape(s)
  const conn = q('#conn')
  const setConn = (state, text) => { conn.dataset.conn = state; conn.textContent = text }
  const clock = (at) => { const d = new Date(at); return isNaN(d.getTime()) ? String(at) : d.toISOString().slice(11, 23) }

  // One entry per actor card: its element, its chart's state boxes by state id, the ids lit now.
  const cards = new Map()
  const cardOf = (id) => {
    let c = cards.get(id)
    if (c) return c
    let section = q('section.actor[data-actor="' + attr(id) + '"]')
    if (!section) {
      // An actor that started after the page was drawn (or a child actor): a card without a chart.
      section = el('section', 'actor no-chart')
      section.dataset.actor = id
      section.id = 'actor-' + id.replace(/[^A-Za-z0-9_-]/g, '_')
      const h = el('h3'); h.append(el('span', 'name', id), el('span', 'state', ''))
      section.append(h, el('p', 'figures', ''), el('table', 'counters'))
      q('#cards').append(section)
    }
    const rects = new Map()
    for (const r of section.querySelectorAll('svg rect.state')) {
      const t = r.querySelector('title')
      if (t) rects.set(t.textContent, r)
    }
    c = { section, rects, lit: [] }
    cards.set(id, c)
    return c
  }
  const rowOf = (id) => {
    let tr = q('#actors tr[data-actor="' + attr(id) + '"]')
    if (tr) return tr
    tr = el('tr'); tr.dataset.actor = id
    for (const k of ['name', 'state', 'status', 'mailbox', 'restarts', 'overflows', 'transitions']) tr.append(el('td', k, k === 'name' ? id : ''))
    q('#actors tbody').append(tr)
    return tr
  }

  const applyActor = (a) => {
    const c = cardOf(a.id)
    c.section.dataset.state = a.state
    q('.state', c.section).textContent = a.state
    for (const r of c.lit) r.classList.remove('active', 'active-path')
    c.lit = []
    for (const id of a.active) {
      const r = c.rects.get(id)
      if (!r) continue
      const leaf = !a.active.some((o) => o !== id && o.startsWith(id + '.'))
      r.classList.add(leaf ? 'active' : 'active-path')
      c.lit.push(r)
    }
    const tr = rowOf(a.id)
    tr.dataset.state = a.state
    q('td.state', tr).textContent = a.state
    q('td.transitions', tr).textContent = a.transitions
  }

  const addTransitions = (list) => {
    const ol = q('#transitions')
    for (const t of list) {
      const li = el('li')
      li.dataset.actor = t.actor
      li.append(el('time', '', clock(t.at)), el('span', 'actor', t.actor), el('span', 'event', t.event), el('span', 'arrow', '\\u2192'), el('span', 'to', t.state))
      if (t.skipped) li.append(el('span', 'skipped', '+' + t.skipped + ' more'))
      ol.prepend(li)
    }
    while (ol.children.length > MAX) ol.lastElementChild.remove()
  }

  const applyFigures = (figures, server) => {
    for (const f of figures) {
      const tr = rowOf(f.id)
      tr.dataset.status = f.status
      q('td.status', tr).textContent = f.status
      q('td.mailbox', tr).textContent = f.mailboxDepth
      q('td.restarts', tr).textContent = f.restarts
      q('td.overflows', tr).textContent = f.overflows
      tr.classList.toggle('warn', f.restarts > 0 || f.overflows > 0)
      const c = cardOf(f.id)
      q('.figures', c.section).textContent = 'mailbox ' + f.mailboxDepth + ' \\u00b7 restarts ' + f.restarts + ' \\u00b7 overflows ' + f.overflows + ' \\u00b7 ' + f.status
      const table = q('table.counters', c.section)
      const rows = []
      for (const [k, v] of f.counters) { const r = el('tr'); r.append(el('th', '', k), el('td', '', v)); rows.push(r) }
      table.replaceChildren(...rows)
    }
    if (server) {
      q('#server').textContent = 'page server: ' + server.clients + ' live client(s), ' + server.dropped + ' dropped (not reading), ' + server.refused + ' refused (503), ' +
        server.observed + ' transitions observed, ' + server.coalesced + ' coalesced, ' + server.pollErrors + ' failed reads'
    }
  }

  const applyMembers = (members) => {
    const tbody = q('#members tbody')
    const rows = members.map((m) => {
      const tr = el('tr'); tr.dataset.member = m.name; tr.dataset.status = m.status
      const tags = Object.entries(m.tags).map(([k, v]) => k + '=' + v).join(' ')
      tr.append(el('td', 'name', m.name), el('td', 'addr', m.addr), el('td', 'status', m.status), el('td', 'tags', tags))
      return tr
    })
    tbody.replaceChildren(...rows)
    q('#member-count').textContent = members.length + ' (' + members.filter((m) => m.status === 'alive').length + ' alive)'
  }

  const onMessage = (msg) => {
    switch (msg.type) {
      case 'snapshot':
        q('#transitions').replaceChildren()
        for (const a of msg.actors) applyActor(a)
        addTransitions(msg.transitions)
        applyFigures(msg.figures, msg.server)
        if (msg.members) applyMembers(msg.members)
        break
      case 'update':
        for (const a of msg.actors) applyActor(a)
        addTransitions(msg.transitions)
        break
      case 'figures':
        applyFigures(msg.figures, msg.server)
        break
      case 'members':
        applyMembers(msg.members)
        break
    }
  }

  for (const s of document.querySelectorAll('section.actor')) cardOf(s.dataset.actor)
  const es = new EventSource('events')
  es.onopen = () => setConn('live', 'live')
  es.onerror = () => setConn(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting', es.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting\\u2026')
  es.onmessage = (e) => { try { onMessage(JSON.parse(e.data)) } catch (err) { console.error(err) } }
})()
`
