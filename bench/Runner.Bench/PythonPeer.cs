using System.Diagnostics;

using Runner.Cli;

namespace Runner.Bench;

/// <summary>Runs a peer script of bench/ with a Python that has the peer library (Debian's python3-torch, python3-optuna).</summary>
public static class PythonPeer
{
    /// <summary>The script's last output line (its JSON result), or null with the reason on standard error.</summary>
    public static string? Run(string python, CliContext context, string script, params string[] args)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (string a in args) start.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(start)!;
            var error = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                context.Error.WriteLine($"peer failed ({python} {Path.GetFileName(script)}): {error.Result.Trim().Split('\n')[^1]}");
                return null;
            }
            return output.Trim().Split('\n')[^1];
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            context.Error.WriteLine($"peer not run: cannot start {python} ({e.Message}); install the Debian package or pass --python");
            return null;
        }
    }
}
