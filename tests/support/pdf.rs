//! What a PDF says: its text layer (poppler) and what a person sees on its pages (OCR).

/// What a person sees on the PDF's pages: each rendered to PNG (poppler) and read by OCR
/// (Tesseract).
pub fn ocr_pdf(pdf: &std::path::Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("page");
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-r", "200", "-png", "-gray"])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .expect("run pdftoppm (scripts/test installs poppler-utils)");
    assert!(rendered.status.success(), "{rendered:?}");
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    assert!(!pages.is_empty());
    let mut seen = String::new();
    for png in pages {
        let out = std::process::Command::new("tesseract")
            .arg(&png)
            .arg("stdout")
            .args(["--psm", "6"])
            .output()
            .expect("run tesseract (scripts/test installs tesseract-ocr)");
        assert!(out.status.success(), "{out:?}");
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    seen
}

/// The PDF's text layer.
pub fn pdf_text(pdf: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
