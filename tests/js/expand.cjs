// Parse iCalendar files with ical.js and print their occurrences as JSON.
// usage: node expand.cjs FILE [FILE...] START_UNIX END_UNIX
// Output, one line per file: {name, defined_zones, missing_zones,
// occurrences: [{uid, start, end, summary}]} where start/end are Unix seconds and only
// occurrences overlapping [START, END) are listed. Each file is read on its own: the zones one
// file registers are forgotten before the next.
"use strict";
const fs = require("fs");
const ICAL = require("ical.js");

const args = process.argv.slice(2);
const rangeEnd = Number(args.pop());
const rangeStart = Number(args.pop());
for (const file of args) {
  ICAL.TimezoneService.reset();
  process.stdout.write(JSON.stringify(expand(file)) + "\n");
}

// Without options, ICAL.Event relates every RECURRENCE-ID VEVENT of the calendar to the
// master, whatever its UID (a feed merges many series); relate only those of the same UID.
function eventOf(vevent) {
  return new ICAL.Event(vevent, { strictExceptions: true, exceptions: [] });
}

function expand(file) {
  const root = new ICAL.Component(ICAL.parse(fs.readFileSync(file, "utf8")));

  const defined = [];
  for (const zone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
    defined.push(zone.getFirstPropertyValue("tzid"));
  }
  const missing = new Set();
  const masters = new Map();
  const overrides = [];
  for (const vevent of root.getAllSubcomponents("vevent")) {
    for (const prop of vevent.getAllProperties()) {
      const tzid = prop.getParameter("tzid");
      if (tzid && !defined.includes(tzid)) missing.add(tzid);
    }
    if (vevent.hasProperty("recurrence-id")) overrides.push(vevent);
    else masters.set(vevent.getFirstPropertyValue("uid"), eventOf(vevent));
  }
  const singles = [];
  for (const vevent of overrides) {
    const master = masters.get(vevent.getFirstPropertyValue("uid"));
    if (master) master.relateException(vevent);
    else singles.push(eventOf(vevent));
  }

  const occurrences = [];
  function keep(uid, start, end, summary) {
    const s = start.toUnixTime();
    const e = end.toUnixTime();
    if (s < rangeEnd && (e > rangeStart || s >= rangeStart)) {
      occurrences.push({ uid, start: s, end: e, summary });
    }
  }
  for (const event of [...masters.values(), ...singles]) {
    if (!event.isRecurring()) {
      keep(event.uid, event.startDate, event.endDate, event.summary);
      continue;
    }
    const iterator = event.iterator();
    let next;
    let guard = 0;
    while ((next = iterator.next()) && guard++ < 20000) {
      if (next.toUnixTime() >= rangeEnd) break;
      const details = event.getOccurrenceDetails(next);
      keep(event.uid, details.startDate, details.endDate, details.item.summary);
    }
  }
  occurrences.sort((a, b) => a.start - b.start || (a.uid < b.uid ? -1 : 1));
  return {
    name: root.getFirstPropertyValue("x-wr-calname"),
    defined_zones: defined,
    missing_zones: [...missing],
    occurrences,
  };
}
