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
