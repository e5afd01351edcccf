using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// Debian's Chromium, headless, driven by Selenium through Debian's chromedriver (`apt-get install chromium
/// chromium-driver`; nothing is downloaded). Its console and every request the page made can be read back.
/// </summary>
public sealed class Browser : IDisposable
{
    const string Chromium = "/usr/bin/chromium", Driver = "/usr/bin/chromedriver";

    public ChromeDriver Page { get; }

    /// <summary>Why a browser cannot be started here, or null.</summary>
    public static string? WhyNot() =>
        !File.Exists(Chromium) ? "the dashboard tests need Debian's chromium (apt-get install chromium)"
        : !File.Exists(Driver) ? "the dashboard tests need Debian's chromedriver (apt-get install chromium-driver)"
        : null;

    public Browser(string profile)
    {
        var options = new ChromeOptions { BinaryLocation = Chromium, AcceptInsecureCertificates = true };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps", $"--user-data-dir={profile}");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        Page = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public void Open(string url) => Page.Navigate().GoToUrl(url);

    /// <summary>The first element matching <paramref name="by"/> for which <paramref name="condition"/> holds, within the time.</summary>
    public IWebElement WaitFor(By by, TimeSpan timeout, Func<IWebElement, bool>? condition = null)
    {
        var wait = new WebDriverWait(Page, timeout) { PollingInterval = TimeSpan.FromMilliseconds(50) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(d => d.FindElements(by).FirstOrDefault(e => condition == null || condition(e)));
    }

    public void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var wait = new WebDriverWait(Page, timeout) { PollingInterval = TimeSpan.FromMilliseconds(50), Message = "waited for " + what };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        wait.Until(_ => condition());
    }

    public object? Script(string js, params object[] args) => Page.ExecuteScript(js, args);

    /// <summary>Errors the page's console got (failed requests included).</summary>
    public IReadOnlyList<string> ConsoleErrors() =>
        Page.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level >= LogLevel.Severe).Select(e => e.Message).ToList();

    /// <summary>Every address the page fetched (its document, scripts, styles, API calls, event stream).</summary>
    public IReadOnlyList<string> Requests() =>
        ((IEnumerable<object>)Script("return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name));")!).Select(o => (string)o).ToList();

    /// <summary>The whole page, not just the window: the window grows to the page's height for the picture.</summary>
    public void Screenshot(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var window = Page.Manage().Window.Size;
        long height = Convert.ToInt64(Script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight);"));
        Page.Manage().Window.Size = new System.Drawing.Size(window.Width, (int)Math.Clamp(height + 20, 600, 4000));
        Page.GetScreenshot().SaveAsFile(file);
        Page.Manage().Window.Size = window;
    }

    public void Dispose()
    {
        Page.Quit();
        Page.Dispose();
    }
}
