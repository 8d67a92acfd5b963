//! Sign-in and sign-up pages. Plain forms: they work before the page hydrates, and
//! show the server's message when something is wrong.

use crate::auth::{SignIn, SignUp};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use manna_core::identity::MIN_PASSWORD_CHARS;

/// The message of the action's last failure, if it failed.
fn error_of<S>(value: S) -> impl Fn() -> Option<String>
where
    S: Get<Value = Option<Result<(), crate::error::AppError>>>,
{
    move || value.get().and_then(|r| r.err()).map(|e| e.to_string())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = error_of(action.value());
    view! {
        <Title text="Sign in"/>
        <section class="auth-card">
            <h1>"Sign in to Manna"</h1>
            <ActionForm action>
                <label for="email">"Email"</label>
                <input id="email" type="email" name="email" autocomplete="username" required autofocus/>
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="current-password" required/>
                {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="muted">"New to Manna? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = error_of(action.value());
    let hint = format!("At least {MIN_PASSWORD_CHARS} characters; a phrase of unrelated words is easiest to remember.");
    view! {
        <Title text="Create an account"/>
        <section class="auth-card">
            <h1>"Create your Manna account"</h1>
            <ActionForm action>
                <label for="display_name">"Your name"</label>
                <input id="display_name" type="text" name="display_name" autocomplete="name" maxlength="100"/>
                <label for="email">"Email"</label>
                <input id="email" type="email" name="email" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="new-password" required
                    minlength=MIN_PASSWORD_CHARS.to_string() aria-describedby="password-hint"/>
                <p id="password-hint" class="hint">{hint}</p>
                <label for="confirm">"Repeat the password"</label>
                <input id="confirm" type="password" name="confirm" autocomplete="new-password" required/>
                {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </section>
    }
}

/// The second step of signing in, when two-factor authentication is on.
#[component]
pub fn MfaPage() -> impl IntoView {
    let action = ServerAction::<crate::mfa::MfaVerify>::new();
    let error = error_of(action.value());
    view! {
        <Title text="Two-factor sign-in"/>
        <section class="auth-card">
            <h1>"Enter your code"</h1>
            <p class="muted">"Open your authenticator app and type the 6-digit code for Manna, or one of your recovery codes."</p>
            <ActionForm action>
                <label for="code">"Code"</label>
                <input id="code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code"
                    required autofocus maxlength="20" spellcheck="false"/>
                {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="button" disabled=move || action.pending().get()>"Verify"</button>
            </ActionForm>
            <p class="muted"><a href="/login">"Start over"</a></p>
        </section>
    }
}
