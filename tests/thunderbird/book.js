// A meeting with room attendees saved as the event dialog's "Save and Close" does with
// "Notify attendees" on: a transaction, after which Thunderbird sends the iTIP messages it
// thinks it must send. args: [calendarId, uid, title, startUtc, endUtc, roomAddresses]
const [calendarId, uid, title, start, end, rooms] = args;
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const { CalEvent } = ChromeUtils.importESModule("resource:///modules/CalEvent.sys.mjs");
const { CalAttendee } = ChromeUtils.importESModule("resource:///modules/CalAttendee.sys.mjs");
const win = Services.wm.getMostRecentWindow("mail:3pane");
const calendar = cal.manager.getCalendarById(calendarId);
const event = new CalEvent();
event.id = uid;
event.title = title;
event.startDate = cal.createDateTime(start);
event.endDate = cal.createDateTime(end);
event.setProperty("X-MOZ-SEND-INVITATIONS", "TRUE");  // the dialog's "Notify attendees"
const organizer = new CalAttendee();
organizer.id = calendar.getProperty("organizerId") || "mailto:alice@example.org";
organizer.isOrganizer = true;
event.organizer = organizer;
for (const address of rooms) {
  const room = new CalAttendee();
  room.id = address;
  room.userType = "ROOM";
  room.role = "REQ-PARTICIPANT";
  room.participationStatus = "NEEDS-ACTION";
  room.rsvp = "TRUE";
  event.addAttendee(room);
}
await win.doTransaction("add", event, calendar, null, null,
                        { responseMode: Ci.calIItipItem.AUTO });
return uid;
