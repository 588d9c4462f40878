//! Many mailboxes (tenants) in one deployment on one PostgreSQL database: each with its own
//! intake key, readers, case numbers and schema; nothing of one opens with another's keys and
//! no command shows another's cases. Real binary, Dovecot, GnuPG, PostgreSQL.

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{str_field, Gateway, EXIT_CONFIG, EXIT_KEY_REFUSED};
use crate::support::gnupg::{unique, Gpg, Holder};
use crate::support::postgres;

struct Tenant {
    name: &'static str,
    handler: Holder,
    intake_cert: Vec<u8>,
}

/// Two tenants, each draining its own folder: `run --once` without `--tenant` drains both;
/// each tenant's cases carry its own numbers and open only with its own handler's key; a report
/// encrypted to one tenant's key but mailed to the other's address opens nowhere there.
#[test]
fn a_tenants_handler_key_opens_none_of_another_tenants_cases() {
    let dovecot = Dovecot::start();
    let gw = Gateway::on_postgres(&dovecot);
    let pg = postgres::cluster();
    let url = pg.url_file(gw.dir(), &pg.url());
    let (sa, sb) = (pg.fresh_schema(), pg.fresh_schema());
    let mailbox = |folder: &str| {
        format!(
            "host = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nusername = \"{}\"\n\
             password-file = \"imap.pass\"\nfolder = \"{folder}\"\n",
            dovecot.port, dovecot.user
        )
    };
    gw.write_config(&format!(
        "[register]\ndriver = \"postgres\"\nurl-file = \"{}\"\n\n\
         [keys]\ndir = \"var/keys\"\nunprotected = true\n\n\
         [tenants.alfa]\nschema = \"{sa}\"\nnumber-pattern = \"A/{{year}}/{{seq:04}}\"\n\
         [tenants.alfa.mailbox]\n{}\n\
         [tenants.beta]\nschema = \"{sb}\"\nnumber-pattern = \"B/{{year}}/{{seq:04}}\"\n\
         [tenants.beta.mailbox]\n{}",
        url.display(),
        mailbox("Alfa"),
        mailbox("Beta"),
    ));
    dovecot.create_folder("Alfa");
    dovecot.create_folder("Beta");

    // Without --tenant a command that needs one says so and names them.
    let out = gw.run(&["cases", "list"]);
    assert_eq!(out.status.code(), Some(EXIT_CONFIG));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--tenant") && err.contains("alfa, beta"),
        "{err}"
    );

    let tenants: Vec<Tenant> = ["alfa", "beta"]
        .into_iter()
        .map(|name| {
            gw.set_tenant(Some(name));
            gw.forget_approver();
            gw.init();
            let handler = Holder::new(&format!("Handler {name}"), &format!("h@{name}.example.org"));
            let custodian = Holder::new(
                &format!("Custodian {name}"),
                &format!("c@{name}.example.org"),
            );
            gw.add_custodian(&custodian);
            gw.add_handler(&handler);
            Tenant {
                name,
                handler,
                intake_cert: gw.intake_cert(),
            }
        })
        .collect();
    assert_ne!(
        tenants[0].intake_cert, tenants[1].intake_cert,
        "one intake key each"
    );

    let reporter = Gpg::new();
    let token = unique("TEN");
    let send = |to: &Tenant, folder: &str, subject: &str| {
        let raw = reporter.encrypt_pgp_mime(
            &to.intake_cert,
            "Reporter <r@example.net>",
            "zgloszenia@example.org",
            subject,
            &format!("{subject} {token}\n"),
            None,
            None,
        );
        dovecot.append(folder, &raw);
    };
    send(&tenants[0], "Alfa", "dla alfy");
    send(&tenants[1], "Beta", "dla bety");
    // Encrypted to alfa's key, but mailed to beta's address: beta cannot open it.
    send(&tenants[0], "Beta", "pomyłka");

    gw.set_tenant(None);
    gw.run_ok(&["run", "--once"]);
    assert_eq!(dovecot.count("Alfa"), 0);
    assert_eq!(dovecot.count("Beta"), 0);

    gw.set_tenant(Some("alfa"));
    assert_eq!(gw.case_numbers(), vec![format!("A/{}/0001", year())]);
    let case = gw.show_case(
        &format!("A/{}/0001", year()),
        &tenants[0].handler.key_file,
        None,
    );
    assert_eq!(str_field(&case, "subject"), "dla alfy");
    assert!(gw.quarantine_json().is_empty());

    gw.set_tenant(Some("beta"));
    assert_eq!(gw.case_numbers(), vec![format!("B/{}/0001", year())]);
    let beta_case = format!("B/{}/0001", year());
    // Alfa's handler key opens nothing of beta's.
    let out = gw.run(&[
        "cases",
        "show",
        &beta_case,
        "--key",
        tenants[0].handler.key_file.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(EXIT_KEY_REFUSED),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("dla bety"));
    let case = gw.show_case(&beta_case, &tenants[1].handler.key_file, None);
    assert_eq!(str_field(&case, "subject"), "dla bety");
    // The report sealed to alfa's key waits in beta's quarantine, unopened.
    let held = gw.quarantine_json();
    assert_eq!(held.len(), 1, "{held:?}");
    gw.set_tenant(Some("alfa"));
    assert_eq!(gw.case_numbers().len(), 1, "alfa never sees beta's mail");
    for t in &tenants {
        gw.set_tenant(Some(t.name));
        gw.run_ok(&["audit", "verify"]);
    }
}

fn year() -> i32 {
    use chrono::Datelike as _;
    chrono::Local::now().year()
}
