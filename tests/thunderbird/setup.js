// Thunderbird set up as a person would: a mail identity whose outgoing server is the test's
// SMTP sink, the password in the login manager, and the user's meetings calendar added with
// "New Calendar > On the Network" (CalDAV, cached). args: [bridgeUrl, smtpPort, user]
const [bridgeUrl, smtpPort, user] = args;
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");

const outgoing = MailServices.outgoingServer || MailServices.smtp;
const smtp = outgoing.createServer("smtp");
smtp.QueryInterface(Ci.nsISmtpServer);
smtp.hostname = "127.0.0.1";
smtp.port = smtpPort;
smtp.authMethod = Ci.nsMsgAuthMethod.none;
smtp.socketType = Ci.nsMsgSocketType.plain;
outgoing.defaultServer = smtp;

MailServices.accounts.createLocalMailAccount();
const account = MailServices.accounts.createAccount();
// a mail account as people have one (never fetched from here); it is the default account,
// whose identity Thunderbird's e-mail scheduling sends from
account.incomingServer = MailServices.accounts.createIncomingServer(user, "127.0.0.1", "pop3");
account.incomingServer.port = 9;  // discard: nothing answers
account.incomingServer.loginAtStartUp = false;
account.incomingServer.doBiff = false;
const identity = MailServices.accounts.createIdentity();
identity.email = `${user}@example.org`;
identity.fullName = user;
identity.smtpServerKey = smtp.key;
account.addIdentity(identity);
MailServices.accounts.defaultAccount = account;

const login = Cc["@mozilla.org/login-manager/loginInfo;1"].createInstance(Ci.nsILoginInfo);
login.init(bridgeUrl.replace(/\/$/, ""), null, "Radicale - Password Required", user, user, "", "");
await Services.logins.addLoginAsync(login);

const calendar = cal.manager.createCalendar("caldav",
                                            Services.io.newURI(`${bridgeUrl}${user}/meetings/`));
calendar.name = "Meetings";
calendar.id = cal.getUUID();
calendar.setProperty("username", user);
calendar.setProperty("imip.identity.key", identity.key);
calendar.setProperty("cache.enabled", true);
cal.manager.registerCalendar(calendar);
return calendar.id;
