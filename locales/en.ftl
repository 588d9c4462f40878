# sygnal's people-facing texts, English. Every message here has its twin in pl.ftl (a test
# checks both files hold the same ids). Variables: $days, $n are numbers; dates are YYYY-MM-DD.

## Statuses (the word in parentheses is what `cases status` takes)
status-received = received
status-acknowledged = acknowledged
status-in-follow-up = in follow-up
status-feedback-given = feedback given
status-closed = closed
status-rejected = rejected
status-transferred = transferred

## Deadlines
deadline-acknowledgement = acknowledgement
deadline-feedback = feedback
deadline-destroy-irrelevant = destroy irrelevant material
due-in = { $due } ({ $days ->
    [0] today
    [1] tomorrow
   *[other] in { $days } days
})
due-overdue = { $due } (OVERDUE by { $days ->
    [one] { $days } day
   *[other] { $days } days
})
due-nothing = nothing due
due-attachment = {" "}(attachment { $attachment })
due-note = {" "}(note #{ $note })

## How a report arrived
arrived-encrypted = encrypted
arrived-unencrypted = UNENCRYPTED
signature-trusted = signature verified by a key you trust
signature-unknown = signed, signer unknown (not verified by a key you trust)
signature-none = unsigned

## cases list
cases-none = no cases
col-case = Case
col-received = Received
col-status = Status
col-deadline = Next deadline
col-arrived = Arrived
case-destroyed = DESTROYED on { $on } (retention): nothing of it opens

## Register fields
field-case = Case:
field-status = Status:
field-category = Category:
field-received = Received:
field-acknowledged = Acknowledged:
field-feedback = Feedback given:
field-ended = Follow-up ended:
field-outcome = Outcome:
field-rejected-because = Rejected because:
field-transferred-to = Transferred to:
field-keep-until = Keep until:
field-proceedings-ended = Proceedings ended:
field-identity = Identity:
field-due = Due ({ $deadline }):
field-reply = Reply:
field-arrived = Arrived:
field-opened = Opened:
field-subject = Subject:
value-done-due = { $done } (due { $due })
value-proceedings-ended = { $on } (the case started them; kept 3 years after that year)
value-identity-disclosed = DISCLOSED to a third party (see `sygnal identity log`)
value-weak-decryption = only by accepting what the standard policy refuses: { $flags } (an old client or an old intake key; the content is as sent, but the encryption was weaker)
value-subject-unencrypted = { $subject } (sent UNENCRYPTED, outside the encryption: anyone on the way could read or change it)

## Outcomes
outcome-substantiated = substantiated
outcome-partly-substantiated = partly substantiated
outcome-unsubstantiated = unsubstantiated
outcome-not-investigable = not investigable

## Follow-up actions
action-investigation = investigation
action-interview = interview
action-document-request = document request
action-reporter-contact = contact with the reporter
action-external-review = external review
action-corrective-action = corrective action
action-referral = referral
action-recovery = recovery
action-other = other action

## Notes and actions
events-heading = Notes and actions
events-none = no notes or actions
event-note = note
event-action = action: { $kind }
event-by = by { $actor }
event-note-destroyed = (note destroyed on { $on } as irrelevant to the report)
event-note-irrelevant = (found irrelevant: destroyed by { $by })
recorded-note = recorded note #{ $id } on case { $number }
recorded-action = recorded action #{ $id } ({ $kind }) on case { $number }
recorded-note-sealed = the note is sealed: only the case's readers can open it

## cases show
reply-off = not through the gateway ([contact] was off when this was filed)
reply-open-encrypted = possible with `sygnal cases reply` (encrypted to the reporter's key)
reply-open-plain = possible with `sygnal cases reply` (unencrypted: the reporter gave no key)
reply-ended = contact ended: { $why }
reply-none = not possible: { $why }
follow-up-heading = Message { $message } from the reporter (an answer to the case's mail), received { $received }: { $arrived }
attachments-heading = Attachments:
attachment-no-name = (no name)
size-bytes = { $bytes ->
    [one] { $bytes } byte
   *[other] { $bytes } bytes
}
attachment-destroyed = destroyed on { $on } as irrelevant to the report: nothing of it opens
attachment-irrelevant = found irrelevant: destroyed by { $by }
attachment-not-cleaned = NOT CLEANED: { $why }
attachment-unknown-reason = unknown reason
attachment-metadata-removed = metadata removed: { $fields }
attachment-no-metadata = no identifying metadata found
unencrypted-parts-heading = Parts that arrived OUTSIDE the encryption (not from the encrypted report; may be forged):

## Mail to reporters not sent yet (cases due)
unsent-heading = mail to reporters not sent yet:
unsent-failed = FAILED
unsent-interrupted = interrupted while sending; sent again on the next pass
unsent-planned = planned
unsent-next-attempt = next attempt { $at }
unsent-reply = reply
unsent-attempts = { $n ->
    [one] { $n } attempt
   *[other] { $n } attempts
}

## cases list --key, cases search
col-subject = Subject
cases-not-opened = { $n ->
    [one] { $n } case this key does not open was left out (sealed before the key was added: `sygnal keys reseal`)
   *[other] { $n } cases this key does not open were left out (sealed before the key was added: `sygnal keys reseal`)
}
search-where = message { $message }
search-subject = subject
search-body = text
search-summary = { $hits ->
    [one] 1 line found
   *[other] { $hits } lines found
} in { $searched ->
    [one] 1 case
   *[other] { $searched } cases
}

## The printed case file (cases export --pdf)
pdf-case-title = CASE FILE { $number } (INTERNAL REPORT)
pdf-made-on = Printed from the register of internal reports on { $on }
pdf-register-heading = 1. The case in the register
pdf-report-heading = 2. The report (message 1)
pdf-follow-ups-heading = 3. Further messages from the reporter
pdf-follow-ups-none = none
pdf-events-heading = 4. Notes and follow-up actions
pdf-signature-heading = 5. Signature
pdf-signature = Prepared by: ________________________________   date: ______________
pdf-no-identity = The reporter's personal data and anything that identifies them are not part of this printout; sygnal keeps them encrypted to the authorised persons. Taking out this printout is recorded in the audit trail.
pdf-page = Case { $number } · page { $page }/{ $pages }
case-pdf-written = { $path }: case file { $number } (without the reporter's identity)
case-exported = case { $number } exported to { $path } (identity not included)
file-exists = { $path } exists: give a new file name (an existing file is never overwritten)

## The daily deadline digest (e-mail to handlers)
digest-subject = sygnal: case deadlines for { $day }
digest-intro = Deadlines in report cases as of { $day }: missed ones and those due within { $days ->
    [one] { $days } day
   *[other] { $days } days
}.
digest-line = { $number }  { $deadline }: { $when }
digest-details = Details: sygnal cases due --key YOUR-KEY; a case: sygnal cases show NUMBER --key YOUR-KEY.
digest-footer = Sent automatically by sygnal, once a day when deadlines are near; do not reply. It holds no report content and no one's details. The administrator turns it off with deadline-digest = false in [contact].

## Refusals a handler or a custodian meets (what, where, what to do)
error-prefix = sygnal: error:
err-no-case = no case { $number }: `sygnal cases list` shows the case numbers
err-not-current-reader = key { $key } is not a current reader's (removed, or never added): nothing is opened or recorded with it; `sygnal handlers list` shows the readers
err-not-custodian = key { $key } is not a current identity custodian's: only a custodian may do this
err-not-custodian-secret = this is not the secret key of custodian { $key } (or its passphrase is wrong, or it cannot sign)
err-not-recipient = this key is not { $role } of { $record }: it cannot open it
err-not-recipient-reseal = this key is not { $role } of { $record }: it cannot open it. It is a current reader's, so { $record } was sealed before it was added (or added again): it opens for this key after `sygnal keys reseal --key KEY` with a key that opens it
err-wrong-passphrase = wrong passphrase for the secret key: check SYGNAL_PASSPHRASE, or type it again
record-case = case { $number }
record-detail = case { $number } detail #{ $id }
record-attachment = attachment { $index } of case { $number }
record-message = case { $number } message { $seq }
record-quarantine = quarantine #{ $id }
role-handler = a handler
role-custodian = an identity custodian
role-note-reader = a reader of the notes
err-on-before-receipt = --on: { $on } is before the case was received ({ $received })
err-on-future = --on: { $on } is in the future; record it on the day it happens
err-note-empty = the note is empty
err-note-not-utf8 = the note is not UTF-8 text
err-note-too-large = the note is larger than { $max } bytes; attach documents to the case file instead
err-close-needs-outcome = closing a case needs an outcome: `sygnal cases close { $number } --outcome OUTCOME` ({ $choices })
err-reject-needs-reason = rejecting a case needs its reason: --reason { $choices }
err-transfer-needs-recipient = transferring a case needs its recipient: --to { $choices }
err-end-reason-wrong-status = { $given } goes with status { $status }, not { $to }
err-transition = a case cannot go from { $from } to { $to }{ $hint ->
    [ended] {" "}(follow-up has ended)
    [already] {" "}(it already is)
    [received-once] {" "}(a case is received only once)
    [acknowledgement-first] {" "}(the acknowledgement comes first)
    [follow-up-first] {" "}(start follow-up first: status in-follow-up)
    [acknowledged-already] {" "}(its acknowledgement is recorded already)
   *[none] {""}
}
err-search-too-short = give at least 3 characters to search for
err-unseal-reason = --reason must say why the identity is needed (at least a few words); it is recorded
err-reporter-notice = before the identity is disclosed the reporter must be told, in writing, with the reasons for the disclosure, unless telling them would endanger the investigation or the proceedings (art. 8 of the act of 14 June 2024). Say which applies: --reporter-notice informed | --reporter-notice withheld-would-endanger
err-disclosure-field = { $flag } must be given (it is recorded)
err-reason-irrelevant-attachment = --reason: say why the attachment is irrelevant to the report
err-reason-irrelevant-note = --reason: say why the note is irrelevant to the report
err-reason-hold = --reason: say why the case must be kept (e.g. the proceedings it started)
err-contact-off = talking with reporters is off: configure [contact] and [contact.smtp] (see the README)
err-reply-empty = the reply is empty
err-reply-too-large = the reply is { $bytes } bytes, over the limit of { $max }: send it in parts
err-no-contact = nothing can be sent in case { $number }: { $why }
err-contact-ended = the contact of case { $number } ended: { $why }
err-no-reply-address = case { $number } has no reply address (filed before [contact] was configured)
err-end-contact-reason = say why contact ends in one line (at most 200 bytes), e.g. "withdrawn by the reporter"; it is stored as it is, so no names
no-contact-no-address = the message has no sender address
no-contact-several-addresses = the message names several sender addresses
no-contact-auto-submitted = the message was sent automatically (Auto-Submitted)
no-contact-bulk = the message came from a list or bulk sender
no-contact-null-sender = the message has a null sender (a bounce or a mailer daemon)
no-contact-reply-to-elsewhere = its Reply-To points to another domain than its From; a custodian may check the identity record

## The command line's own refusals
cli-unknown-choice = unknown { $what } "{ $given }"; one of: { $choices }
cli-status-choices = { $offered } (to close: `sygnal cases close NUMBER --outcome OUTCOME`)
cli-close-with-close = use `sygnal cases close NUMBER --outcome OUTCOME` to close a case
cli-reason-or-recipient = give --reason (rejected) or --to (transferred), not both
cli-key-unreadable = cannot read key file { $path }
cli-key-unusable = { $path } is not a usable secret key: { $why }
cli-passphrase-prompt = Passphrase for { $key }:{" "}
cli-passphrase-unreadable = cannot read the passphrase (set SYGNAL_PASSPHRASE when not on a terminal)
cli-file-unreadable = cannot read { $path }: { $why }
word-status = status
word-category = category
word-outcome = outcome
word-reason = reason
word-recipient = recipient
word-action-kind = action kind

## identity unseal, disclose, log (custodians)
identity-heading = Identity record of case { $number } (this disclosure is recorded)
identity-later-message = --- Message { $message } from the reporter
identity-originating-ip = Originating IP:
identity-received-via = Received via:
identity-signed-by = Signed by:
identity-also-encrypted-to = Also encrypted to:
identity-pgp-file-name = PGP file name:
identity-none = none
identity-signature-trusted = verified by a key you trust
identity-signature-self = verified only with a key inside the message: proves nothing
identity-signature-unverified = not verified
identity-all-headers = (all headers: use --json)
identity-attachments-heading = Attachment metadata (originals sealed here; the case has cleaned copies):
identity-attachment = attachment { $index } (original sha256 { $sha256 }):
disclosure-recorded = disclosure #{ $id } of the identity in case { $number } recorded
disclosure-informed = recorded: the reporter was told beforehand
disclosure-withheld = recorded: the reporter was NOT told because it would endanger the proceedings; tell them once that no longer applies
identity-log-none = no unseals or disclosures
identity-log-unsealed = unsealed
identity-log-disclosed = disclosed
identity-log-reason = reason
identity-log-to = to
identity-log-legal-basis = legal basis
identity-log-sealed = (reasons are sealed: add --key CUSTODIAN-KEY to read them)
identity-log-informed = the reporter was told beforehand
identity-log-withheld = the reporter was not told (it would endanger the proceedings)

## The web console (sygnal console)
console-nav-due = Due
console-nav-cases = Cases
console-due-heading = Deadlines: overdue first
console-cases-heading = Cases
console-cases-none = No case matches.
console-case-heading = Case { $number }
console-case-deadlines = Open deadlines
console-case-key-notice = The report, notes and actions open with your key; this page shows only what needs none.
console-problem-heading = Cannot show this
console-col-case = Case
console-col-deadline = Deadline
console-col-due = Due
console-col-days = Days
console-col-status = Status
console-col-received = Received
console-col-next = Next deadline
console-col-arrived = Arrived
console-filter-any = any
console-filter-year = Year received
console-filter-apply = Show
console-days-overdue = { $days ->
    [one] 1 day overdue
   *[other] { $days } days overdue
}
console-days-left = { $days ->
    [one] 1 day left
   *[other] { $days } days left
}
console-due-today = due today
console-destroyed = destroyed on { $date }
console-arrived-encrypted = encrypted
console-arrived-unencrypted = unencrypted
