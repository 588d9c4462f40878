//! The audit trail's vocabulary: one enum, `<Noun><PastVerb>`, stored by its name. No action
//! name is written as a string anywhere else (invariant 6: every read of identity, every key or
//! reader change, every deletion leaves a record of a known kind).

use serde::Serialize;

macro_rules! events {
    ($($(#[$doc:meta])* $name:ident,)+) => {
        /// What an audit entry records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum Event {
            $($(#[$doc])* $name,)+
        }

        impl Event {
            /// Every event, in declaration order.
            pub const ALL: &'static [Event] = &[$(Event::$name,)+];

            /// The stored name (covered by the entry's hash: never rename one).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Event::$name => stringify!($name),)+
                }
            }
        }
    };
}

events! {
    /// Intake filed a case (from the mailbox or a quarantine retry).
    CaseFiled,
    /// Intake put a message into quarantine.
    MessageQuarantined,
    /// The server copy of a filed message was deleted.
    ServerCopyDeleted,
    /// A handler opened a case's report.
    CaseOpened,
    /// A handler opened a case's notes.
    NotesOpened,
    /// A handler exported a case file.
    CaseExported,
    /// The art. 29 register was exported.
    RegisterExported,
    /// A custodian opened a quarantined raw message (sender details included) to process it
    /// again: an identity read.
    QuarantineRetried,
    /// A case's status changed.
    StatusChanged,
    /// A case was closed with an outcome.
    CaseClosed,
    /// A case's category was set.
    CategorySet,
    /// A note was added to a case.
    NoteAdded,
    /// A follow-up action was recorded.
    ActionRecorded,
    /// A custodian opened the reporter's identity.
    IdentityUnsealed,
    /// The reporter's identity was disclosed to a third party.
    IdentityDisclosed,
    /// The configuration file was first seen.
    ConfigRecorded,
    /// The configuration file changed.
    ConfigChanged,
    /// A reader (handler or custodian) was added.
    ReaderAdded,
    /// A reader was removed.
    ReaderRemoved,
    /// An intake key was generated.
    IntakeKeyCreated,
    /// An intake secret key was imported.
    IntakeKeyImported,
    /// An intake secret key was put under passphrase protection.
    IntakeKeyProtected,
    /// A new intake key became the published one.
    IntakeKeyRotated,
    /// An intake key's secret parts were destroyed.
    IntakeKeyRetired,
    /// A reseal run started.
    ResealStarted,
    /// An interrupted reseal run was resumed.
    ResealResumed,
    /// A reseal run completed.
    ResealCompleted,
    /// A shred key was destroyed.
    ShredKeyDestroyed,
    /// A custodian discarded a held quarantine entry; its raw message is destroyed.
    QuarantineDiscarded,
    /// A reader's role changed, with a custodian's consent.
    ReaderRoleChanged,
    /// A custodian consented to readers already in the register.
    ReadersApproved,
    /// A reseal with new content keys decrypted one identity record to seal it again.
    IdentityResealed,
    /// A reporter's certificate was registered as a trusted signer.
    SignerTrusted,
    /// A trusted signer was removed.
    SignerDistrusted,
    /// A message left on the server (over the size limit) was resolved: taken after the limit
    /// was raised, or found removed by hand.
    LeftOnServerResolved,
    /// The register was moved, whole and still sealed, from another backend.
    RegisterMigrated,
    /// A case was destroyed (its shred key and ciphertext), keeping its number and dates.
    CaseDestroyed,
    /// A case was put on legal hold: scheduled destruction skips it.
    CaseHeld,
    /// A case's legal hold was released.
    CaseReleased,
    /// Messages were deleted from a folder of the mailbox other than the intake folder
    /// (leftover copies: Trash, Sent, ...): which folder, how many, received before when.
    MailboxPurged,
    /// Material of a case (an attachment) was found irrelevant to the report: to be destroyed
    /// within 14 days.
    MaterialMarkedIrrelevant,
    /// Material of a case (an attachment) was destroyed: its own shred key and ciphertext.
    MaterialDestroyed,
    /// A handler planned a message to the reporter (a reply or the feedback).
    MessagePlanned,
    /// The outgoing server accepted a message to the reporter (never the address).
    MessageSent,
    /// A message to the reporter failed for good (the server refused it).
    MessageFailed,
    /// A case's contact ended: the reply address, the reporter's key and the reply token were
    /// destroyed with their key.
    ContactEnded,
    /// The reporter's answer (its reply token named the case) was filed into the case.
    FollowUpFiled,
    /// A backup of the register was made (and, when asked, of the key folder, sealed to the
    /// custodians): written before the copy is taken, so the backup holds it.
    RegisterBackedUp,
    /// The register was restored from a backup (and the key folder from its sealed archive).
    RegisterRestored,
}

impl Event {
    /// The event stored under `name`; None for a name this version does not know.
    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.iter().copied().find(|e| e.as_str() == name)
    }

    /// A read or disclosure of the reporter's identity: what `identity log` lists.
    pub fn is_identity_access(self) -> bool {
        matches!(
            self,
            Event::IdentityUnsealed
                | Event::IdentityDisclosed
                | Event::QuarantineRetried
                | Event::IdentityResealed
        )
    }

    /// An event of a message's arrival (dated to the day only, see `Entry::dated_to_the_day`).
    pub fn marks_arrival(self) -> bool {
        matches!(
            self,
            Event::CaseFiled
                | Event::MessageQuarantined
                | Event::ServerCopyDeleted
                | Event::FollowUpFiled
        )
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Event;

    #[test]
    fn every_event_name_parses_back_to_itself() {
        for e in Event::ALL {
            assert_eq!(Event::parse(e.as_str()), Some(*e));
        }
        assert_eq!(Event::parse("NoSuchEvent"), None);
    }

    #[test]
    fn stored_names_are_the_ones_already_in_registers() {
        // Names are covered by the chain's hashes: changing one breaks every register.
        assert_eq!(Event::CaseFiled.as_str(), "CaseFiled");
        assert_eq!(Event::IdentityUnsealed.as_str(), "IdentityUnsealed");
        assert_eq!(Event::ServerCopyDeleted.as_str(), "ServerCopyDeleted");
    }
}
