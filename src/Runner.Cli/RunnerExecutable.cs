using System.Diagnostics;
using System.Reflection;

namespace Runner.Cli;

/// <summary>How this repository's programs start one another (`runner` its trainer processes, the benchmarks `runner`).</summary>
public static class RunnerExecutable
{
    /// <summary>`runner ARGS`, or another program given its assembly: its apphost when there is one beside the assembly, else `dotnet ASSEMBLY`.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args, Assembly? program = null)
    {
        string dll = (program ?? typeof(RunnerExecutable).Assembly).Location, apphost = Path.ChangeExtension(dll, null);
        bool native = File.Exists(apphost);
        var start = new ProcessStartInfo(native ? apphost : "dotnet") { UseShellExecute = false };
        if (!native) start.ArgumentList.Add(dll);
        foreach (string a in args) start.ArgumentList.Add(a);
        return start;
    }
}
