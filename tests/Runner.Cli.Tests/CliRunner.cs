using System.Diagnostics;
using Spectre.Console;

namespace Runner.Cli.Tests;

/// <summary>Runs the CLI in-process with captured output, or as a real process like a user would.</summary>
internal static class CliRunner
{
    public sealed record Outcome(int ExitCode, string Out, string Error);

    public static string RepoRoot { get; } = FindRoot();
    public static string Experiments => Path.Combine(RepoRoot, "experiments");
    public static string Subset => Path.Combine(RepoRoot, "data", "fashion-mnist-subset");

    static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Runner.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }

    public static Outcome Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 240;
        var context = new CliContext { Out = output, Error = error, Console = console, IsTerminal = false };
        int code = CliApp.Run(args, context);
        return new Outcome(code, output.ToString(), error.ToString());
    }

    /// <summary>The built `runner` program in a separate process.</summary>
    public static Outcome RunProcess(string workingDirectory, params string[] args) => RunProcess(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>The built `runner` program in a separate process, with these environment variables set for it alone.</summary>
    public static Outcome RunProcess(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "runner.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("runner did not finish in 2 minutes"); }
        return new Outcome(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string WriteSweep(string folder, string text)
    {
        string path = Path.Combine(folder, "sweep.yaml");
        File.WriteAllText(path, text);
        return path;
    }
}
