use super::*;

#[test]
fn html_to_text_drops_scripts_styles_and_tags() {
    let html = "<html><head><title>t</title><style>p{}</style></head><body>\
        <script>alert(1)</script><p>Hello&nbsp;<b>world</b> &amp; &#261;&#x119;</p>\
        <img src=\"https://tracker.example/x.png\"><!-- hidden -->bye<br>end</body></html>";
    let text = html_to_text(html);
    assert!(text.contains("Hello world & ąę"), "{text}");
    assert!(text.contains("bye\nend"), "{text}");
    assert!(!text.contains("alert") && !text.contains("p{}") && !text.contains("tracker"));
    assert!(!text.contains("hidden"));
}

#[test]
fn html_to_text_survives_broken_markup() {
    for s in [
        "<",
        "&",
        "&#xFFFFFFFF;",
        "<script>",
        "<!--",
        "a<b",
        "&amp",
        "<p",
        "ż<ó>ł&",
    ] {
        let _ = html_to_text(s);
    }
    assert_eq!(html_to_text("a &unknown; b"), "a &unknown; b");
}

#[test]
fn error_codes_are_stable_and_carry_no_content() {
    let errors = [
        (MailError::Unparseable, "mime-unparseable"),
        (
            MailError::HeaderTooLarge { bytes: 1, limit: 0 },
            "mime-header-too-large",
        ),
        (
            MailError::TooDeep {
                depth: 17,
                limit: 16,
            },
            "mime-too-deep",
        ),
        (
            MailError::TooManyParts {
                parts: 1001,
                limit: 1000,
            },
            "mime-too-many-parts",
        ),
        (MailError::BadPgpMime { detail: "x" }, "mime-bad-pgp-mime"),
    ];
    for (e, code) in errors {
        assert_eq!(e.code(), code);
    }
}
