use super::*;

fn float(x: f64) -> String {
    let mut out = Vec::new();
    write_float(&mut out, x);
    String::from_utf8(out).unwrap()
}

#[test]
fn floats_print_as_python_repr() {
    let cases = [
        (1.5, "1.5"),
        (3.0, "3.0"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (1.2345678901234568e17, "1.2345678901234568e+17"),
        (1e22, "1e+22"),
        (5e-324, "5e-324"),
        (0.1, "0.1"),
        (123.456, "123.456"),
        (-2.5e-7, "-2.5e-07"),
        (f64::MAX, "1.7976931348623157e+308"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
    ];
    for (x, text) in cases {
        assert_eq!(float(x), text, "{x:?}");
    }
}

#[test]
fn strings_are_ascii_escaped_with_lowercase_hex() {
    let mut out = Vec::new();
    write_str(&mut out, "a\"\\/\n\r\t\u{8}\u{c}\u{1}\u{7f}é😀<>&'");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#""a\"\\/\n\r\t\b\f\u0001\u007f\u00e9\ud83d\ude00<>&'""#
    );
}
