//! Writes the poison messages of the memory bench (the same bytes the integration tests use):
//! `poison-mail INTAKE_CERT OUT_DIR` → OUT_DIR/{pdf-bomb,blocks-2500,tiny-blocks}.eml.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/poison.rs"]
mod poison;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, cert, out] = args.as_slice() else {
        eprintln!("usage: poison-mail INTAKE_CERT OUT_DIR");
        std::process::exit(2);
    };
    let cert = std::fs::read(cert).expect("read the intake certificate");
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out).expect("create the output folder");
    for (name, mail) in [
        ("pdf-bomb.eml", poison::pdf_bomb_mail()),
        (
            "blocks-2500.eml",
            poison::compressed_blocks_mail(&cert, 2_500),
        ),
        ("tiny-blocks.eml", poison::tiny_blocks_mail()),
    ] {
        std::fs::write(out.join(name), mail).expect("write a poison message");
    }
}
