// The event ``uid`` as Thunderbird holds it after a refresh of its calendar: start and end
// (UTC, iCalendar form), title and room attendees [[address, PARTSTAT, SCHEDULE-STATUS]];
// null while it has no such event. args: [calendarId, uid]
const [calendarId, uid] = args;
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const calendar = cal.manager.getCalendarById(calendarId);
calendar.refresh();
const item = await calendar.getItem(uid);
if (!item) {
  return null;
}
return {
  start: item.startDate.getInTimezone(cal.dtz.UTC).icalString,
  end: item.endDate.getInTimezone(cal.dtz.UTC).icalString,
  title: item.title,
  rooms: item.getAttendees().filter(a => a.userType == "ROOM")
    .map(a => [a.id, a.participationStatus, a.getProperty("SCHEDULE-STATUS")]),
};
