//! The command line's help in Polish (`locales/pl-help.ftl`). The English help is the doc
//! comments of the commands; the Polish one replaces it command by command and argument by
//! argument: `help-cases-show` is the about of `cases show`, `help-cases-show--key` its
//! `--key`, and `help-arg--key` the text of every `--key` without one of its own.

use clap::{Arg, ArgAction, Command};

use crate::i18n::Texts;

/// `cmd` with its help in Polish wherever `pl-help.ftl` has it.
pub fn localize(cmd: Command, texts: &Texts) -> Command {
    at(cmd, "help", texts).disable_version_flag(true).arg(
        Arg::new("version")
            .short('V')
            .long("version")
            .action(ArgAction::Version)
            .help_heading(texts.text("help-heading-options", None))
            .help(texts.text("help-flag-version", None)),
    )
}

fn at(mut cmd: Command, path: &str, texts: &Texts) -> Command {
    if let Some(about) = texts.lookup(path) {
        cmd = cmd.about(about).long_about(None);
    }
    let ids: Vec<(String, bool)> = cmd
        .get_arguments()
        .map(|a| (a.get_id().to_string(), a.is_positional()))
        .collect();
    for (id, positional) in ids {
        let help = texts
            .lookup(&format!("{path}--{id}"))
            .or_else(|| texts.lookup(&format!("help-arg--{id}")));
        let heading = if positional {
            texts.text("help-heading-arguments", None)
        } else {
            texts.text("help-heading-options", None)
        };
        cmd = cmd.mut_arg(id, |a| {
            let a = a.help_heading(heading);
            match help {
                Some(h) => a.help(h).long_help(None),
                None => a,
            }
        });
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let below = format!("{path}-{name}");
        cmd = cmd.mut_subcommand(&name, |s| at(s, &below, texts));
    }
    cmd.help_template(texts.text("help-template", None))
        .subcommand_help_heading(texts.text("help-heading-commands", None))
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help_heading(texts.text("help-heading-options", None))
                .help(texts.text("help-flag-help", None)),
        )
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use crate::i18n::{Lang, Texts};

    /// Every command path and argument id of the command line, as `pl-help.ftl` names them.
    fn help_ids(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        out.push(path.to_owned());
        for a in cmd.get_arguments() {
            out.push(format!("{path}--{}", a.get_id()));
            out.push(format!("help-arg--{}", a.get_id()));
        }
        for s in cmd.get_subcommands() {
            help_ids(s, &format!("{path}-{}", s.get_name()), out);
        }
    }

    #[test]
    fn every_polish_help_entry_names_a_command_or_argument_that_exists() {
        let mut known = Vec::new();
        help_ids(&crate::cli::Cli::command(), "help", &mut known);
        let source = include_str!("../../locales/pl-help.ftl");
        let stale: Vec<&str> = source
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(id, _)| id.trim()))
            .filter(|id| id.starts_with("help") && !id.starts_with("help-heading-"))
            .filter(|id| !id.starts_with("help-flag-") && *id != "help-template")
            .filter(|id| !known.iter().any(|k| k == id))
            .collect();
        assert!(
            stale.is_empty(),
            "pl-help.ftl names what is not there: {stale:?}"
        );
    }

    #[test]
    fn every_command_a_handler_or_custodian_runs_has_polish_help() {
        let texts = Texts::new(Lang::Pl);
        let cli = crate::cli::Cli::command();
        for group in ["cases", "identity"] {
            let Some(cmd) = cli.find_subcommand(group) else {
                panic!("no {group}");
            };
            for sub in cmd.get_subcommands() {
                let path = format!("help-{group}-{}", sub.get_name());
                assert!(texts.lookup(&path).is_some(), "no Polish help for {path}");
                for a in sub.get_arguments().filter(|a| !a.is_global_set()) {
                    let id = a.get_id();
                    assert!(
                        texts.lookup(&format!("{path}--{id}")).is_some()
                            || texts.lookup(&format!("help-arg--{id}")).is_some(),
                        "no Polish help for {path} --{id}"
                    );
                }
            }
        }
    }
}
