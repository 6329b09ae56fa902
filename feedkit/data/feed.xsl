<?xml version="1.0" encoding="UTF-8"?>
<!--
  feedkit's feed.xsl: shows an RSS 2.0 or Atom 1.0 feed as a page to a person who opens it
  in a browser that applies XSLT. Feed readers ignore it. The CSS is filled in by
  feedkit.browser.xslt_stylesheet(), from the same rules as feeds.html.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="lang"
      select="normalize-space((/rss/channel/language | /atom:feed/@xml:lang)[1])"/>
  <xsl:variable name="ko" select="starts-with(translate($lang, 'KO', 'ko'), 'ko')"/>
  <xsl:variable name="title" select="normalize-space((/rss/channel/title | /atom:feed/atom:title)[1])"/>
  <xsl:variable name="subtitle"
      select="normalize-space((/rss/channel/description | /atom:feed/atom:subtitle)[1])"/>
  <xsl:variable name="self"
      select="string((/rss/channel/atom:link[@rel='self'] | /atom:feed/atom:link[@rel='self'])[1]/@href)"/>
  <xsl:variable name="home"
      select="normalize-space((/rss/channel/link | /atom:feed/atom:link[@rel='alternate']/@href)[1])"/>

  <xsl:template match="/">
    <html>
      <xsl:if test="$lang">
        <xsl:attribute name="lang"><xsl:value-of select="$lang"/></xsl:attribute>
      </xsl:if>
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/></title>
        <style>/* feedkit:style */</style>
      </head>
      <body>
        <header>
          <xsl:if test="$home">
            <p class="site"><a href="{$home}"><xsl:value-of select="$home"/></a></p>
          </xsl:if>
          <h1><xsl:value-of select="$title"/></h1>
          <xsl:if test="$subtitle and $subtitle != $title">
            <p><xsl:value-of select="$subtitle"/></p>
          </xsl:if>
        </header>
        <main>
          <section class="about">
            <xsl:choose>
              <xsl:when test="$ko">
                <h2>이 페이지는 피드입니다</h2>
                <p>피드 리더(예: Feedly, Inoreader, NetNewsWire, Thunderbird, Feeder)에 아래
                  주소를 복사해 추가하면, 새 글이 올라올 때마다 리더에서 받아 볼 수 있습니다.
                  가입하거나 이메일 주소를 남길 필요는 없습니다.</p>
              </xsl:when>
              <xsl:otherwise>
                <h2>This is a web feed</h2>
                <p>Copy the address below into a feed reader (for example Feedly, Inoreader,
                  NetNewsWire, Thunderbird or Feeder) to get new posts as they are published.
                  No account or email address is needed.</p>
              </xsl:otherwise>
            </xsl:choose>
            <xsl:if test="$self">
              <ul class="urls">
                <li><input type="url" readonly="readonly" value="{$self}" aria-label="{$title}"/></li>
              </ul>
            </xsl:if>
          </section>
          <section>
            <h2>
              <xsl:choose>
                <xsl:when test="$ko">최근 글</xsl:when>
                <xsl:otherwise>Latest posts</xsl:otherwise>
              </xsl:choose>
            </h2>
            <ol class="entries">
              <xsl:apply-templates select="/rss/channel/item | /atom:feed/atom:entry"/>
            </ol>
          </section>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item">
    <li>
      <h3><a href="{normalize-space(link)}"><xsl:value-of select="title"/></a></h3>
      <p class="meta"><xsl:value-of select="pubDate"/></p>
    </li>
  </xsl:template>

  <xsl:template match="atom:entry">
    <xsl:variable name="when">
      <xsl:choose>
        <xsl:when test="atom:published"><xsl:value-of select="atom:published"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="atom:updated"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <li>
      <h3>
        <a href="{(atom:link[@rel='alternate' or not(@rel)])[1]/@href}">
          <xsl:value-of select="atom:title"/>
        </a>
      </h3>
      <p class="meta">
        <time datetime="{$when}">
          <xsl:value-of select="concat(substring($when, 1, 10), ' ', substring($when, 12, 5))"/>
        </time>
      </p>
    </li>
  </xsl:template>
</xsl:stylesheet>
