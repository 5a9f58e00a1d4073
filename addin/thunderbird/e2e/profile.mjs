// A throw-away Thunderbird profile for the end-to-end test: one account whose outgoing
// server is the local SMTP sink, no first-run wizard, no network beyond 127.0.0.1, and
// unsigned extensions installed from the profile's extensions/ folder.

import fs from "node:fs";
import path from "node:path";

/**
 * @param {string} dir the profile folder (created)
 * @param {{ smtpPort: number, extensions: { id: string, xpi: string }[],
 *   sender: { name: string, email: string } }} options
 */
export function writeProfile(dir, options) {
  fs.mkdirSync(path.join(dir, "extensions"), { recursive: true });
  for (const ext of options.extensions) {
    fs.copyFileSync(ext.xpi, path.join(dir, "extensions", ext.id + ".xpi"));
  }
  const prefs = {
    // Unsigned extensions from the profile, enabled at once (Debian's default scope 3 leaves
    // profile extensions disabled).
    "xpinstall.signatures.required": false,
    "extensions.autoDisableScopes": 0,
    "extensions.enabledScopes": 15,
    "extensions.update.enabled": false,
    "extensions.getAddons.cache.enabled": false,
    // One POP3 account that never connects, one identity, one SMTP server: the sink.
    "mail.accountmanager.accounts": "account1,account2",
    "mail.accountmanager.defaultaccount": "account1",
    "mail.accountmanager.localfoldersserver": "server2",
    "mail.account.account1.server": "server1",
    "mail.account.account1.identities": "id1",
    "mail.account.account2.server": "server2",
    "mail.server.server1.type": "pop3",
    "mail.server.server1.hostname": "127.0.0.1",
    "mail.server.server1.port": 1,
    "mail.server.server1.userName": "tester",
    "mail.server.server1.name": "Sendguard test",
    "mail.server.server1.login_at_startup": false,
    "mail.server.server1.check_new_mail": false,
    "mail.server.server1.directory-rel": "[ProfD]Mail/127.0.0.1",
    "mail.server.server2.type": "none",
    "mail.server.server2.hostname": "Local Folders",
    "mail.server.server2.userName": "nobody",
    "mail.server.server2.name": "Local Folders",
    "mail.server.server2.directory-rel": "[ProfD]Mail/Local Folders",
    "mail.identity.id1.useremail": options.sender.email,
    "mail.identity.id1.fullName": options.sender.name,
    "mail.identity.id1.smtpServer": "smtp1",
    "mail.identity.id1.valid": true,
    // A copy of each send in Local Folders' Sent folder, as most senders have: the history
    // is imported from there.
    "mail.identity.id1.fcc": true,
    "mail.identity.id1.fcc_folder": "mailbox://nobody@Local%20Folders/Sent",
    "mail.identity.id1.fcc_folder_picker_mode": "1",
    "mail.identity.id1.compose_html": false,
    "mail.identity.id1.attach_vcard": false,
    "mail.smtpservers": "smtp1",
    "mail.smtp.defaultserver": "smtp1",
    "mail.smtpserver.smtp1.hostname": "127.0.0.1",
    "mail.smtpserver.smtp1.port": options.smtpPort,
    "mail.smtpserver.smtp1.authMethod": 1,
    "mail.smtpserver.smtp1.try_ssl": 0,
    "mail.smtpserver.smtp1.username": "",
    "mail.smtpserver.smtp1.description": "sink",
    // No first-run screens, no background traffic, no modal dialogs that would block a send.
    "mail.provider.enabled": false,
    "mail.shell.checkDefaultClient": false,
    "mail.rights.version": 1,
    "mail.spotlight.firstRunDone": true,
    "mail.winsearch.firstRunDone": true,
    "mailnews.start_page.enabled": false,
    "mailnews.message_warning_size": 0,
    "mail.warn_on_send_accel_key": false,
    "mail.compose.big_attachments.notify": false,
    "mail.biff.show_alert": false,
    "mail.biff.play_sound": false,
    "mail.tabs.drawInTitlebar": false,
    "app.update.enabled": false,
    "app.update.auto": false,
    "app.update.checkInstallTime": false,
    "datareporting.policy.dataSubmissionEnabled": false,
    "datareporting.healthreport.uploadEnabled": false,
    "toolkit.telemetry.enabled": false,
    "toolkit.telemetry.reportingpolicy.firstRun": false,
    "browser.safebrowsing.malware.enabled": false,
    "browser.safebrowsing.phishing.enabled": false,
    "browser.safebrowsing.downloads.enabled": false,
    "network.captive-portal-service.enabled": false,
    "network.connectivity-service.enabled": false,
    // Thunderbird's own look-ups (region, remote settings) would try to leave the machine.
    "browser.region.network.url": "",
    "browser.region.update.enabled": false,
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "messenger.startup.action": 0,
    "browser.shell.checkDefaultBrowser": false,
    "mail.ui.folderpane.version": 99,
    "calendar.timezone.useSystemTimezone": true,
    // Extension errors and console output in Thunderbird's log (shown when a test fails).
    "devtools.console.stdout.chrome": true,
    "devtools.console.stdout.content": true
  };
  const lines = Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`);
  fs.writeFileSync(path.join(dir, "user.js"), lines.join("\n") + "\n");
}
