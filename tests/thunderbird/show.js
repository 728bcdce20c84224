// For the screenshot: the calendar tab on the event's week, and the event's summary dialog
// (attendees with their answers). args: [calendarId, uid]
const [calendarId, uid] = args;
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const win = Services.wm.getMostRecentWindow("mail:3pane");
const item = await cal.manager.getCalendarById(calendarId).getItem(uid);
win.gTabmail.openTab("calendar");
win.switchCalendarView?.("week");
win.currentView().goToDay(item.startDate);
win.openEventDialogForViewing(item);
return true;
