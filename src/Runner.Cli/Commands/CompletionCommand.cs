namespace Runner.Cli.Commands;

/// <summary>`runner completion bash|zsh`: a script that completes verbs, options and values as you type.</summary>
public sealed class CompletionCommand(string program) : ICommand
{
    public string Name => "completion";
    public string Summary => "print a shell completion script (bash, zsh)";
    public string Description => $$"""
        Prints a script that makes the shell complete {{program}}'s commands and options from the same declarations
        the parser and --help use. Load it in your shell's start-up file:

          source <({{program}} completion bash)      # ~/.bashrc
          source <({{program}} completion zsh)       # ~/.zshrc

        The script asks the program itself: `{{program}} [suggest:POSITION] "LINE"` prints what may come at POSITION.
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("SHELL", "bash or zsh") };
    public IReadOnlyList<OptionSpec> Options => Array.Empty<OptionSpec>();

    public int Execute(Arguments args, CliContext context)
    {
        string function = "_" + program.Replace('-', '_') + "_complete";
        string script = args.Single("a SHELL (bash or zsh)") switch
        {
            "bash" => $$"""
                {{function}}() {
                  local IFS=$'\n'
                  COMPREPLY=( $("{{program}}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) )
                }
                complete -o default -F {{function}} {{program}}
                """,
            "zsh" => $$"""
                {{function}}() {
                  local -a items
                  items=("${(@f)$("{{program}}" "[suggest:${#BUFFER}]" "${BUFFER}" 2>/dev/null)}")
                  compadd -a items
                }
                compdef {{function}} {{program}}
                """,
            var other => throw new UsageException($"no completion script for '{other}': bash or zsh"),
        };
        context.Out.WriteLine(script);
        return 0;
    }
}
