using Xunit;

namespace GpuRnn.Tests;

/// <summary>The dotnet host that starts one of the test folder's programs (gpurnn.dll, GpuRnn.MpiProbe.dll) as a process of its own.</summary>
public static class DotnetHost
{
    /// <summary>DOTNET_HOST_PATH (set by dotnet test), else dotnet on PATH, else null.</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "dotnet")).FirstOrDefault(File.Exists);
    }

    /// <summary>The host, or the test skips with the reason.</summary>
    public static string FindOrSkip()
    {
        if (Find() is { } host) return host;
        Assert.Skip("needs the dotnet host to start a program of the test folder as its own process, and there is none (a self-contained publish of the tests, as on the GPU machine)");
        return "";
    }
}
