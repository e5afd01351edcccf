using System.Globalization;

namespace Runner.Testing;

/// <summary>A process's descendants and their private memory, from /proc (Linux): for tests and benchmarks that measure memory.</summary>
public static class ProcessTree
{
    public static List<int> Descendants(int pid)
    {
        // A child is listed under the thread that started it, so every thread's list is read.
        var direct = new List<int>();
        try
        {
            foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
                direct.AddRange(Read(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
        }
        catch (IOException) { /* the process ended */ }
        return direct.Concat(direct.SelectMany(Descendants)).ToList();
    }

    /// <summary>The largest RssAnon (KB) among the `runner trainer-process` descendants of <paramref name="pid"/> now (0: none).</summary>
    public static double TrainerRssAnonKb(int pid) =>
        Descendants(pid).Where(child => Cmdline(child).Contains("trainer-process")).Select(RssAnonKb).DefaultIfEmpty(0).Max();

    public static string Cmdline(int pid) => Read($"/proc/{pid}/cmdline").Replace('\0', ' ');

    public static double RssAnonKb(int pid)
    {
        string? line = Read($"/proc/{pid}/status").Split('\n').FirstOrDefault(l => l.StartsWith("RssAnon:", StringComparison.Ordinal));
        return line == null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    static string Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }
}
