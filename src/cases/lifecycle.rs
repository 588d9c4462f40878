//! Case statuses and the transitions a handler may make; categories, follow-up kinds and
//! outcomes as closed lists, so the register and the statistics never carry free text.

use serde::Serialize;

/// Generates `as_str`, `parse` and `ALL` for a closed list stored as kebab-case text.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($(#[$vm])* $v,)+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v,)+];

            /// Stable text stored in the register and shown in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s,)+ }
            }

            /// Parses stored or command-line text.
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$v),)+ _ => None }
            }

            /// The accepted texts, for error messages.
            pub fn choices() -> String {
                $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// Status of a case.
    Status {
        /// Filed by intake; nobody has acted yet.
        Received = "received",
        /// The reporter was sent an acknowledgement.
        Acknowledged = "acknowledged",
        /// Follow-up actions are under way.
        InFollowUp = "in-follow-up",
        /// The reporter was given feedback.
        FeedbackGiven = "feedback-given",
        /// Follow-up ended (with an outcome).
        Closed = "closed",
        /// Not a report under the act (e.g. out of scope, manifestly unfounded).
        Rejected = "rejected",
        /// Handed to a public authority (police, prosecutor, other competent body).
        Transferred = "transferred",
    }
}

/// A status change that the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a case cannot go from {from} to {to}{}", hint.english())]
pub struct TransitionError {
    /// Current status.
    pub from: Status,
    /// Requested status.
    pub to: Status,
    /// Why, or what to do instead.
    pub hint: TransitionHint,
}

/// Why a status change is refused, or what to do instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionHint {
    /// The case is closed, rejected or transferred.
    Ended,
    /// The case has that status already.
    Already,
    /// `received` is only where a case starts.
    ReceivedOnce,
    /// Acknowledging comes before the later steps.
    AcknowledgementFirst,
    /// Feedback and closing come after follow-up has started.
    FollowUpFirst,
    /// The acknowledgement's date is recorded already.
    AcknowledgedAlready,
    /// Nothing more to say.
    None,
}

impl TransitionHint {
    /// A stable code (front ends look up their words by it).
    pub fn code(self) -> &'static str {
        match self {
            TransitionHint::Ended => "ended",
            TransitionHint::Already => "already",
            TransitionHint::ReceivedOnce => "received-once",
            TransitionHint::AcknowledgementFirst => "acknowledgement-first",
            TransitionHint::FollowUpFirst => "follow-up-first",
            TransitionHint::AcknowledgedAlready => "acknowledged-already",
            TransitionHint::None => "none",
        }
    }

    fn english(self) -> &'static str {
        match self {
            TransitionHint::Ended => " (follow-up has ended)",
            TransitionHint::Already => " (it already is)",
            TransitionHint::ReceivedOnce => " (a case is received only once)",
            TransitionHint::AcknowledgementFirst => " (the acknowledgement comes first)",
            TransitionHint::FollowUpFirst => " (start follow-up first: status in-follow-up)",
            TransitionHint::AcknowledgedAlready => " (its acknowledgement is recorded already)",
            TransitionHint::None => "",
        }
    }
}

/// A rejection without its reason, a transfer without its recipient, or either given with
/// another status. Says what to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EndReasonError {
    /// `rejected` without `--reason`.
    #[error(
        "rejecting a case needs its reason: --reason {}",
        RejectionReason::choices()
    )]
    ReasonMissing,
    /// `transferred` without `--to`.
    #[error(
        "transferring a case needs its recipient: --to {}",
        Recipient::choices()
    )]
    RecipientMissing,
    /// A reason or recipient given with a status that takes none (or the other one).
    #[error("{} goes with status {}, not {to}", given.as_str(), given.status())]
    NotFor {
        /// What was given.
        given: EndReason,
        /// The status asked for.
        to: Status,
    },
}

impl Status {
    /// Follow-up has ended: no further changes, retention runs.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Closed | Status::Rejected | Status::Transferred
        )
    }

    /// Whether `self → to` is allowed.
    ///
    /// received → acknowledged → in-follow-up → feedback-given → closed; follow-up may resume
    /// after feedback; a case may start follow-up without an acknowledgement (no contact
    /// address), and may close from follow-up when feedback cannot be given for the same reason.
    /// Rejection and transfer end a case that is still open.
    pub fn check_transition(self, to: Status) -> Result<(), TransitionError> {
        use Status::*;
        let err = |hint| {
            Err(TransitionError {
                from: self,
                to,
                hint,
            })
        };
        if self.is_terminal() {
            return err(TransitionHint::Ended);
        }
        if self == to {
            return err(TransitionHint::Already);
        }
        match (self, to) {
            (Received, Acknowledged | InFollowUp)
            | (Acknowledged, InFollowUp | FeedbackGiven)
            | (InFollowUp, FeedbackGiven | Closed)
            | (FeedbackGiven, InFollowUp | Closed)
            | (_, Rejected | Transferred) => Ok(()),
            (_, Received) => err(TransitionHint::ReceivedOnce),
            (_, Acknowledged) => err(TransitionHint::AcknowledgementFirst),
            (Received, FeedbackGiven | Closed) | (Acknowledged, Closed) => {
                err(TransitionHint::FollowUpFirst)
            }
            _ => err(TransitionHint::None),
        }
    }
}

impl Status {
    /// The status a case takes when `to` is asked for. Acknowledging a case whose follow-up
    /// started first (the handler wrote to the reporter by hand) records the acknowledgement's
    /// date and keeps the status: follow-up does not go back.
    pub fn after_request(self, to: Status, acknowledged: bool) -> Result<Status, TransitionError> {
        if to == Status::Acknowledged && matches!(self, Status::InFollowUp | Status::FeedbackGiven)
        {
            if acknowledged {
                return Err(TransitionError {
                    from: self,
                    to,
                    hint: TransitionHint::AcknowledgedAlready,
                });
            }
            return Ok(self);
        }
        self.check_transition(to).map(|()| to)
    }
}

text_enum! {
    /// Subject of the breach: the areas of art. 3 of the act (what the register records).
    Category {
        /// Corruption.
        Corruption = "corruption",
        /// Public procurement.
        PublicProcurement = "public-procurement",
        /// Financial services, products and markets.
        FinancialServices = "financial-services",
        /// Anti-money-laundering and terrorist financing.
        MoneyLaundering = "money-laundering",
        /// Product safety and compliance.
        ProductSafety = "product-safety",
        /// Transport safety.
        TransportSafety = "transport-safety",
        /// Protection of the environment.
        Environment = "environment",
        /// Radiation protection and nuclear safety.
        NuclearSafety = "nuclear-safety",
        /// Food and feed safety.
        FoodSafety = "food-safety",
        /// Animal health and welfare.
        AnimalWelfare = "animal-welfare",
        /// Public health.
        PublicHealth = "public-health",
        /// Consumer protection.
        ConsumerProtection = "consumer-protection",
        /// Privacy and personal data.
        Privacy = "privacy",
        /// Security of networks and information systems.
        NetworkSecurity = "network-security",
        /// Financial interests of the State Treasury, local government or the EU.
        PublicFinances = "public-finances",
        /// EU internal market, including competition, state aid and corporate tax.
        InternalMarket = "internal-market",
        /// Constitutional freedoms and rights.
        ConstitutionalRights = "constitutional-rights",
        /// Other areas named in the organisation's internal procedure.
        Other = "other",
    }
}

text_enum! {
    /// Kind of a follow-up action (art. 2 pkt 3: "działania następcze").
    ActionKind {
        /// Internal investigation or inspection.
        Investigation = "investigation",
        /// Interview of a witness or the person concerned.
        Interview = "interview",
        /// Request for documents or information.
        DocumentRequest = "document-request",
        /// Contact with the reporter (questions, further information).
        ReporterContact = "reporter-contact",
        /// External audit or expert opinion.
        ExternalReview = "external-review",
        /// Corrective or disciplinary measure.
        CorrectiveAction = "corrective-action",
        /// Referral to a public authority.
        Referral = "referral",
        /// Recovery of funds.
        Recovery = "recovery",
        /// Anything else (the sealed note says what).
        Other = "other",
    }
}

text_enum! {
    /// How follow-up ended.
    Outcome {
        /// The breach was confirmed.
        Substantiated = "substantiated",
        /// Partly confirmed.
        PartlySubstantiated = "partly-substantiated",
        /// Not confirmed.
        Unsubstantiated = "unsubstantiated",
        /// Could not be investigated (too little information, no contact).
        NotInvestigable = "not-investigable",
    }
}

text_enum! {
    /// Why a report was rejected: left without follow-up.
    RejectionReason {
        /// Not a breach of law in an area the act covers (art. 3).
        OutOfScope = "out-of-scope",
        /// Repeats an earlier report on the same breach without new information.
        NoNewInformation = "no-new-information",
        /// Too little to follow up on, and the reporter cannot be asked for more.
        InsufficientInformation = "insufficient-information",
        /// Anything else (a sealed note says what).
        Other = "other",
    }
}

text_enum! {
    /// Where a case was handed on.
    Recipient {
        /// The Ombudsman (Rzecznik Praw Obywatelskich), the central body for external reports.
        Ombudsman = "ombudsman",
        /// The public authority competent for the matter.
        PublicAuthority = "public-authority",
        /// The public prosecutor.
        Prosecutor = "prosecutor",
        /// The police.
        Police = "police",
        /// An institution, body or agency of the European Union.
        EuBody = "eu-body",
        /// Anyone else (a sealed note says whom).
        Other = "other",
    }
}

/// Why follow-up ended without an outcome, as the register records it: a rejection's reason,
/// a transfer's recipient. Closed lists, so the register holds no free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// Rejected, and why.
    Rejected(RejectionReason),
    /// Transferred, and to whom.
    Transferred(Recipient),
}

impl EndReason {
    /// The status this reason goes with.
    pub fn status(self) -> Status {
        match self {
            EndReason::Rejected(_) => Status::Rejected,
            EndReason::Transferred(_) => Status::Transferred,
        }
    }

    /// Stable text stored in the register.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Rejected(r) => r.as_str(),
            EndReason::Transferred(r) => r.as_str(),
        }
    }

    /// The stored text read back for a case of `status`.
    pub fn parse(status: Status, s: &str) -> Option<EndReason> {
        match status {
            Status::Rejected => RejectionReason::parse(s).map(EndReason::Rejected),
            Status::Transferred => Recipient::parse(s).map(EndReason::Transferred),
            _ => None,
        }
    }

    /// Checks that `to` gets the reason it needs, and only that: a rejection names why, a
    /// transfer names to whom.
    pub fn check(to: Status, given: Option<EndReason>) -> Result<(), EndReasonError> {
        match (to, given) {
            (Status::Rejected, Some(EndReason::Rejected(_)))
            | (Status::Transferred, Some(EndReason::Transferred(_))) => Ok(()),
            (Status::Rejected, _) => Err(EndReasonError::ReasonMissing),
            (Status::Transferred, _) => Err(EndReasonError::RecipientMissing),
            (_, Some(given)) => Err(EndReasonError::NotFor { given, to }),
            (_, None) => Ok(()),
        }
    }
}
