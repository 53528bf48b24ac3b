@echo off
rem Drag one or more data files onto this file: qy checks them and opens the
rem report (HTML, in Chinese) in the default browser.  QY_OPEN, when set,
rem names another command to open the report with.  The zip holds this file
rem in GBK, the code page cmd.exe reads batch files in on Chinese Windows.
setlocal
set "QY=%~dp0"
if "%~1"=="" (
	echo 请把要检查的数据文件（CSV）拖到“检查文件.bat”的图标上。
	pause
	exit /b 2
)
set "FINDINGS=%TEMP%\qy-findings.jsonl"
set "REPORT=%TEMP%\qy-report.html"
echo 正在检查……
"%QY%qy-check.exe" --format json --lang zh %* > "%FINDINGS%"
set STATUS=%ERRORLEVEL%
"%QY%qy-report.exe" -f html --lang zh "%FINDINGS%" > "%REPORT%"
if errorlevel 2 (
	echo 无法生成检查报告。
	pause
	exit /b 2
)
if defined QY_OPEN (
	%QY_OPEN% "%REPORT%"
) else (
	start "" "%REPORT%"
)
if %STATUS% GEQ 2 pause
exit /b %STATUS%
