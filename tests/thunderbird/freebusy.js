// What the attendee dialog asks for each attendee: the free/busy intervals of ``address``
// between ``start`` and ``end`` (cal.freeBusyService, which asks the CalDAV outbox).
// args: [address, startUtc, endUtc] → [[start, end, type]]
const [address, start, end] = args;
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
return await new Promise(resolve => {
  const found = [];
  cal.freeBusyService.getFreeBusyIntervals(
    address, cal.createDateTime(start), cal.createDateTime(end),
    Ci.calIFreeBusyInterval.BUSY_ALL, {
      onResult(operation, result) {
        for (const interval of result || []) {
          found.push([interval.interval.start.icalString, interval.interval.end.icalString,
                      interval.freeBusyType]);
        }
        if (!operation || !operation.isPending) {
          resolve(found);
        }
      },
    });
});
