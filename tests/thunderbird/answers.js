// The room attendees of the event ``uid`` as Thunderbird holds them after its refresh:
// [[address, PARTSTAT, SCHEDULE-STATUS]], or null while it has no such event.
// args: [calendarId, uid]
const [calendarId, uid] = args;
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const calendar = cal.manager.getCalendarById(calendarId);
calendar.refresh();
const item = await calendar.getItem(uid);
if (!item) {
  return null;
}
return item.getAttendees().filter(a => a.userType == "ROOM")
  .map(a => [a.id, a.participationStatus, a.getProperty("SCHEDULE-STATUS")]);
