// What Thunderbird decided for the meeting ``uid`` (whether the server schedules, whether
// Thunderbird leaves a REQUEST to it), then one invitation e-mail to ``barrier`` through
// Thunderbird's own e-mail transport: once the sink has it, what Thunderbird sent before is
// there too. args: [calendarId, uid, barrier] → {autoSchedule, serverNotifies}
const [calendarId, uid, barrier] = args;
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const { CalEvent } = ChromeUtils.importESModule("resource:///modules/CalEvent.sys.mjs");
const { CalAttendee } = ChromeUtils.importESModule("resource:///modules/CalAttendee.sys.mjs");
const { CalItipEmailTransport } = ChromeUtils.importESModule(
  "resource:///modules/CalItipEmailTransport.sys.mjs");
const calendar = cal.manager.getCalendarById(calendarId);
const item = await calendar.getItem(uid);
const decided = {
  autoSchedule: calendar.getProperty("capabilities.autoschedule.supported") === true,
  serverNotifies: calendar.getSchedulingSupport().canNotify("REQUEST", item),
};
const event = new CalEvent();
event.id = cal.getUUID();
event.title = "Barrier";
event.startDate = item.startDate.clone();
event.endDate = item.endDate.clone();
const organizer = new CalAttendee();
organizer.id = "mailto:alice@example.org";
organizer.isOrganizer = true;
event.organizer = organizer;
const person = new CalAttendee();
person.id = barrier;
event.addAttendee(person);
const itipItem = Cc["@mozilla.org/calendar/itip-item;1"].createInstance(Ci.calIItipItem);
itipItem.init(cal.item.serialize(event));
itipItem.responseMethod = "REQUEST";
itipItem.autoResponse = Ci.calIItipItem.AUTO;
CalItipEmailTransport.createInstance().sendItems([person], itipItem, null);
return decided;
