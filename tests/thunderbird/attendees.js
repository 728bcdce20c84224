// For the screenshot: the "Invite Attendees" dialog of the meeting ``uid`` as the event
// dialog opens it (its free/busy grid asks cal.freeBusyService for every attendee).
// args: [calendarId, uid]
const [calendarId, uid] = args;
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const calendar = cal.manager.getCalendarById(calendarId);
const item = await calendar.getItem(uid);
const win = Services.wm.getMostRecentWindow("mail:3pane");
win.openDialog("chrome://calendar/content/calendar-event-dialog-attendees.xhtml", "_blank",
               "chrome,titlebar,resizable", {
                 startTime: item.startDate.clone(),
                 endTime: item.endDate.clone(),
                 displayTimezone: true,
                 attendees: item.getAttendees(),
                 organizer: item.organizer && item.organizer.clone(),
                 calendar,
                 item,
                 onOk() {},
               });
return true;
