//! Reseal benchmark (issue 4): files N cases into a throw-away register, removes a handler, adds
//! another and runs `lifecycle::reseal`, then sets its speed next to the bare public-key
//! operations it needs (PKESK decrypt + PKESK encrypt), measured in the same run.
//! Run with `bench/reseal/run.sh` (release build). No plaintext beyond a synthetic filler.

use std::time::Instant;

use sequoia_openpgp as sq;
use sq::crypto::SessionKey;
use sq::packet::pkesk::PKESK3;
use sq::policy::StandardPolicy;
use sq::types::SymmetricAlgorithm;

use sygnal::cases::NumberPattern;
use sygnal::config::RegisterConfig;
use sygnal::keystore::KeyStore;
use sygnal::lifecycle::{self, ResealOptions};
use sygnal::openpgp::{self, KeyAlgorithm, ReaderKeys};
use sygnal::register::{IntakeRef, NewCase, NewReader, Position, Register, Role};
use sygnal::vault::{self, BlobKind};

fn key(name: &str) -> anyhow::Result<sq::Cert> {
    Ok(openpgp::generate_intake_key(
        &format!("{name} <{name}@bench.example>"),
        KeyAlgorithm::Cv25519,
    )?)
}

fn public(c: &sq::Cert) -> sq::Cert {
    c.clone().strip_secret_key_material()
}

async fn add(register: &Register, cert: &sq::Cert, name: &str, role: Role) -> anyhow::Result<()> {
    register
        .add_reader(
            &NewReader {
                fingerprint: openpgp::fingerprint_hex(cert),
                name: name.to_owned(),
                role,
                cert: openpgp::armored_public(cert)?.into_bytes(),
            },
            &[],
            "admin",
        )
        .await?;
    Ok(())
}

/// Mean microseconds per call of `f` over `n` calls.
fn per_call_us(n: u32, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let start = Instant::now();
    for _ in 0..n {
        f()?;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / f64::from(n))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: u32 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let tmp = tempfile::Builder::new()
        .prefix("sygnal-reseal-bench")
        .tempdir()?;
    let register = Register::open(&RegisterConfig::Sqlite {
        path: tmp.path().join("register.db"),
    })
    .await?;
    let store = KeyStore::open(&tmp.path().join("keys"))?;
    let (old_handler, custodian, new_handler) = (key("old")?, key("custodian")?, key("new")?);
    add(&register, &old_handler, "old", Role::Handler).await?;
    add(&register, &custodian, "custodian", Role::Custodian).await?;

    // Filing (not measured): every case sealed on its own, as the gateway does.
    eprintln!("filing {n} cases in {} ...", tmp.path().display());
    let pattern = NumberPattern::parse(NumberPattern::DEFAULT)?;
    let (shred_id, shred) = store.new_shred_key()?;
    let report_readers = [public(&old_handler), public(&custodian)];
    let identity_readers = [public(&custodian)];
    let filler = vec![b'x'; 4096];
    let fill_start = Instant::now();
    for i in 0..n {
        let case = NewCase {
            contact: None,
            acknowledgement: None,
            received_at: chrono::Utc::now().date_naive(),
            encrypted: true,
            signature: sygnal::split::SignatureLabel::Unsigned,
            flags: Vec::new(),
            shred_key: shred_id.clone(),
            report: vault::seal(&filler, &report_readers, &shred, BlobKind::Report)?,
            identity: vault::seal(b"{}", &identity_readers, &shred, BlobKind::Identity)?,
            attachments: Vec::new(),
        };
        let intake = IntakeRef {
            fingerprint: format!("bench-{i}"),
            at: Position {
                mailbox: "INBOX".to_owned(),
                uidvalidity: 1,
                uid: i.saturating_add(1),
            },
        };
        register.file_case(&intake, &case, &pattern).await?;
    }
    let fill_s = fill_start.elapsed().as_secs_f64();

    // Bare public-key operations, same keys, same process.
    let policy = StandardPolicy::new();
    let enc_key = |c: &sq::Cert| -> anyhow::Result<_> {
        c.keys()
            .with_policy(&policy, None)
            .for_storage_encryption()
            .next()
            .map(|ka| ka.key().clone())
            .ok_or_else(|| anyhow::anyhow!("no encryption key"))
    };
    let cust_public = enc_key(&public(&custodian))?;
    let mut cust_pair = enc_key(&custodian)?.parts_into_secret()?.into_keypair()?;
    let sk = SessionKey::new(32)?;
    let sample = PKESK3::for_recipient(SymmetricAlgorithm::AES256, &sk, &cust_public)?;
    let reps = 2000u32.min(n.saturating_mul(2)).max(100);
    let enc_us = per_call_us(reps, || {
        PKESK3::for_recipient(SymmetricAlgorithm::AES256, &sk, &cust_public)?;
        Ok(())
    })?;
    let dec_us = per_call_us(reps, || {
        sample
            .decrypt(&mut cust_pair, None)
            .ok_or_else(|| anyhow::anyhow!("decrypt failed"))?;
        Ok(())
    })?;

    // The reseal itself: remove the old handler, add the new one, re-wrap everything.
    register
        .remove_reader(&openpgp::fingerprint_hex(&old_handler), "bench")
        .await?;
    add(&register, &new_handler, "new", Role::Handler).await?;
    let mut keys = ReaderKeys::unlock(std::slice::from_ref(&custodian), None)?;
    let options = ResealOptions {
        dry_run: false,
        batch: lifecycle::DEFAULT_BATCH,
        actor: "bench".to_owned(),
        rotate_content: false,
    };
    let start = Instant::now();
    let summary =
        lifecycle::reseal(&register, &store, &mut keys, None, &options, &mut |_, _| {}).await?;
    let reseal_s = start.elapsed().as_secs_f64();
    register.close().await;
    if summary.cases != u64::from(n) || summary.identities != u64::from(n) {
        anyhow::bail!("reseal covered {}", summary.line());
    }

    // Per case: 2 PKESK decrypts (report, identity) and 3 PKESK encrypts (report to new
    // handler + custodian, identity to custodian).
    let bare_case_us = 2.0 * dec_us + 3.0 * enc_us;
    let reseal_case_us = reseal_s * 1e6 / f64::from(n);
    println!(
        "reseal bench: {n} cases (report 4 KiB + identity), Curve25519 keys, batch {}",
        options.batch
    );
    println!("filing (setup, not compared): {fill_s:.1} s");
    println!();
    println!(
        "| operation                            |   per item |    per second | ratio to bare |"
    );
    println!(
        "|--------------------------------------|-----------:|--------------:|--------------:|"
    );
    let row = |name: &str, us: f64, ratio: f64| {
        println!(
            "| {name:<36} | {us:>7.1} µs | {:>13.0} | {ratio:>12.2}x |",
            1e6 / us
        );
    };
    row("PKESK decrypt (X25519)", dec_us, dec_us / bare_case_us);
    row("PKESK encrypt (X25519)", enc_us, enc_us / bare_case_us);
    row("bare per case (2 decrypt, 3 encrypt)", bare_case_us, 1.0);
    row(
        "reseal per case (end to end)",
        reseal_case_us,
        reseal_case_us / bare_case_us,
    );
    println!();
    println!(
        "reseal of {n} cases: {reseal_s:.2} s ({:.0} cases/s); {}",
        f64::from(n) / reseal_s,
        summary.line()
    );
    Ok(())
}
