//! Release builds embed `target/site` (rust-embed), which cargo does not track as a
//! whole: rebuild when anything in it changes, so the binary always carries the front
//! it was built with. Debug builds read the folder at run time and need nothing.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../target/site");
    }
}
